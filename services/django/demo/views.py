"""The four endpoints. Errors are raised: demo/errors.py turns them into responses.

https://docs.djangoproject.com/en/6.1/topics/http/views/
https://docs.djangoproject.com/en/6.1/topics/db/queries/
"""

import random
from collections.abc import Callable
from functools import wraps

import orjson
from django.http import HttpRequest, HttpResponse

from config.db.base import read
from demo.errors import Error, json_response
from demo.models import DemoData
from demo.query import parse_name

# The alphabet and name lengths of random names, for requests that give no name.
ALPHABET = "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+=-"
# The lookup, built once: each request filters a copy of it by name (cheaper than chaining
# filter().order_by().values() anew). Dicts, not model instances.
ROWS = DemoData.objects.order_by("id").values("id", "name", "create_time", "update_time")
# Aware UTC datetimes (USE_TZ) written as "2024-08-20T01:00:00Z".
DATETIME_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS
IDLE = orjson.dumps({"status": "idle"})
OK = orjson.dumps({"status": "ok"})
READY = orjson.dumps({"status": "ready"})

type View = Callable[[HttpRequest], HttpResponse]


def get_or_head(view: View) -> View:
    """Like Django's ``require_safe``, with the error table's JSON body on 405."""

    @wraps(view)
    def only_get_or_head(request: HttpRequest) -> HttpResponse:
        if request.method in ("GET", "HEAD"):
            return view(request)
        response = Error.METHOD_NOT_ALLOWED.response()
        response["Allow"] = "GET, HEAD"
        return response

    return only_get_or_head


@get_or_head
def demo(request: HttpRequest) -> HttpResponse:
    """The rows named ``name`` (or a random name), in id order."""
    # WSGI hands the query string over decoded as latin-1: encoding it back gives the bytes.
    name = parse_name(request.META.get("QUERY_STRING", "").encode("latin-1"))
    if name is None:
        name = "".join(random.choices(ALPHABET, k=random.randrange(1, 254)))
    rows = read(lambda: list(ROWS.filter(name=name)))
    return json_response(orjson.dumps(rows, option=DATETIME_OPTIONS))


@get_or_head
def idle(request: HttpRequest) -> HttpResponse:
    """No database: the server and framework alone."""
    return json_response(IDLE)


@get_or_head
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Never touches the database."""
    return json_response(OK)


@get_or_head
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: a pooled connection can read the table (``SELECT 1 ... LIMIT 1``)."""
    read(DemoData.objects.exists)
    return json_response(READY)
