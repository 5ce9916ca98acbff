"""The four endpoints, and the JSON error views that config/urls.py installs.

https://docs.djangoproject.com/en/6.1/topics/http/views/
https://docs.djangoproject.com/en/6.1/topics/db/queries/
"""

import logging
import random
from collections.abc import Callable
from functools import wraps

import orjson
from django.db import Error
from django.http import HttpRequest, HttpResponse
from django.utils.log import log_response

from config.db.reads import read
from config.logs import one_line
from demo.models import DemoData
from demo.query import InvalidName, InvalidQuery, parse_name
from demo.responses import ApiError, json_response

logger = logging.getLogger(__name__)

# The blog's alphabet and name lengths, for requests that give no name.
ALPHABET = "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+=-"
# The contract's lookup, built once: each request filters a copy of it by name.
# https://docs.djangoproject.com/en/6.1/ref/models/querysets/#values
ROWS = DemoData.objects.order_by("id").values("id", "name", "create_time", "update_time")
# The ORM returns the TIMESTAMP columns as aware UTC datetimes (USE_TZ): written as
# "2024-08-20T01:00:00Z". The same options in the four services.
_DATETIME_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS
_IDLE = orjson.dumps({"status": "idle"})
_OK = orjson.dumps({"status": "ok"})
_READY = orjson.dumps({"status": "ready"})
_ALLOW = "GET, HEAD"

type View = Callable[[HttpRequest], HttpResponse]


def get_or_head(view: View) -> View:
    """Like Django's ``require_safe``, with the contract's JSON body on 405."""

    @wraps(view)
    def only_get_or_head(request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD"):
            return view(request)
        response = ApiError.METHOD_NOT_ALLOWED.response()
        response["Allow"] = _ALLOW
        return response

    return only_get_or_head


@get_or_head
def demo(request: HttpRequest) -> HttpResponse:
    """The rows named ``name`` (or a random name, as the blog draws them), in id order."""
    # WSGI hands the query string over decoded as latin-1: encoding it back gives the bytes.
    query = request.META.get("QUERY_STRING", "").encode("latin-1")
    try:
        name = parse_name(query)
    except InvalidQuery:
        return ApiError.INVALID_QUERY.response()
    except InvalidName:
        return ApiError.INVALID_NAME.response()
    if name is None:
        name = "".join(random.choices(ALPHABET, k=random.randrange(1, 254)))
    try:
        rows = read(lambda: list(ROWS.filter(name=name)))
    except Error as error:
        return _database_unavailable(request, error)
    return json_response(orjson.dumps(rows, option=_DATETIME_OPTIONS))


@get_or_head
def idle(request: HttpRequest) -> HttpResponse:
    """The blog's "idle" test: no database."""
    return json_response(_IDLE)


@get_or_head
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Never touches the database."""
    return json_response(_OK)


@get_or_head
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: a pooled connection can read the table (``SELECT 1 ... LIMIT 1``)."""
    try:
        read(DemoData.objects.exists)
    except Error as error:
        return _database_unavailable(request, error)
    return json_response(_READY)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: any unknown path, whatever the method."""
    return ApiError.NOT_FOUND.response()


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: Django has already logged the exception."""
    return ApiError.INTERNAL_ERROR.response()


def _database_unavailable(request: HttpRequest, error: Error) -> HttpResponse:
    """The contract: any database error is a 503, logged once at WARNING, on one line."""
    response = ApiError.DATABASE_UNAVAILABLE.response()
    # log_response() marks the response as logged, so that Django does not log it again (at
    # ERROR). The driver's code and message go to the log, never to the client.
    log_response(
        "Database unavailable on %s %s: %s",
        request.method,
        request.path,
        one_line(error),
        response=response,
        request=request,
        logger=logger,
        level="warning",
    )
    return response
