"""The four endpoints, and the JSON error views that config/urls.py installs.

https://docs.djangoproject.com/en/6.1/topics/http/views/
https://docs.djangoproject.com/en/6.1/topics/db/sql/#executing-custom-sql-directly
"""

import random
from collections.abc import Callable
from functools import wraps

import orjson
from django.db import Error, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.utils.log import log_response

from demo.query import InvalidName, InvalidQuery, parse_name
from demo.responses import ApiError, json_response

# The blog's alphabet and name lengths, for requests that give no name.
ALPHABET = "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+=-"
# CONTRACT.md's statement, written once with the name as a parameter, and run through
# Django's connection.cursor(). It is what the ORM would build from
# ``DemoData.objects.filter(name=name).order_by("id").values(*LOOKUP_COLUMNS)``, without
# building and compiling that queryset again on every request: a third of the view's time
# (perf/README.md).
LOOKUP = "SELECT id, name, create_time, update_time FROM demo_data WHERE name = %s ORDER BY id"
LOOKUP_COLUMNS = ("id", "name", "create_time", "update_time")
# A raw cursor returns the TIMESTAMP columns as naive datetimes, in UTC (the session's
# time_zone): written as "2024-08-20T01:00:00Z". TIMESTAMP columns have no fractions, and the
# contract's format has none even if a column is altered to TIMESTAMP(6).
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
        with connection.cursor() as cursor:
            cursor.execute(LOOKUP, [name])
            rows = [dict(zip(LOOKUP_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
        # The rows are read: hand the pooled connection back now rather than when Django
        # closes it at the request's end, after the response is written (config/db/).
        connection.close()
    except (OperationalError, InterfaceError) as error:
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
    """Readiness: a pooled connection can read the table."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM demo_data LIMIT 1")
            cursor.fetchall()
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
    response = ApiError.DATABASE_UNAVAILABLE.response()
    # One log line with the cause; log_response() marks the response so that Django does
    # not log it a second time. The driver's message goes to the log, never to the client.
    log_response(
        "Database unavailable: %s (%s)", request.path, error, response=response, request=request
    )
    return response
