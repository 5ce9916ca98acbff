"""The four endpoints; errors are raised, and demo/errors.py answers them."""

import random

import orjson
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from config.db.base import read
from demo.errors import json_response
from demo.models import DemoData
from demo.query import parse_name

# Random names, for requests that give none.
ALPHABET = "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+=-"
# Built once, filtered per request (cheaper than chaining it anew); dicts, not instances.
ROWS = DemoData.objects.order_by("id").values("id", "name", "create_time", "update_time")
# Aware UTC datetimes (USE_TZ) written as "2024-08-20T01:00:00Z".
DATETIME_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS
IDLE = orjson.dumps({"status": "idle"})
OK = orjson.dumps({"status": "ok"})
READY = orjson.dumps({"status": "ready"})


@require_safe
def demo(request: HttpRequest) -> HttpResponse:
    """The rows named ``name`` (or a random name), in id order."""
    # WSGI decodes the query string as latin-1: encoding it back gives the raw bytes.
    name = parse_name(request.META.get("QUERY_STRING", "").encode("latin-1"))
    if name is None:
        name = "".join(random.choices(ALPHABET, k=random.randrange(1, 254)))
    rows = read(lambda: list(ROWS.filter(name=name)))
    return json_response(orjson.dumps(rows, option=DATETIME_OPTIONS))


@require_safe
def idle(request: HttpRequest) -> HttpResponse:
    """No database: the server and framework alone."""
    return json_response(IDLE)


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. Never touches the database."""
    return json_response(OK)


@require_safe
def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: a pooled connection can read the table (``SELECT 1 ... LIMIT 1``)."""
    read(DemoData.objects.exists)
    return json_response(READY)
