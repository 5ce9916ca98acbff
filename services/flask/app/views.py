"""The endpoints, on one blueprint: https://flask.palletsprojects.com/en/stable/blueprints/

GET only: werkzeug adds HEAD, and create_app turns Flask's automatic OPTIONS off.
"""

from __future__ import annotations

import random

import orjson
from flask import Blueprint, Response, request
from werkzeug.exceptions import NotFound

from app import query
from app.db import READY, fetch_all, find_by_name

bp = Blueprint("demo", __name__)

# Without a name, a random one: 1 to 253 characters of this 76-character alphabet.
ALPHABET = "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+=-"
# mysqlclient returns TIMESTAMPs as naive datetimes in the session's zone, set to UTC (db.py).
JSON_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS
IDLE = orjson.dumps({"status": "idle"})
OK = orjson.dumps({"status": "ok"})
READY_BODY = orjson.dumps({"status": "ready"})


def json(body: bytes) -> Response:
    return Response(body, mimetype="application/json")


def exact_path() -> None:
    """404 for a path with leading slashes that werkzeug's router ignores (``//demo``).

    werkzeug 3.1 strips them before matching, even with ``merge_slashes`` off
    (https://github.com/pallets/flask/issues/5489); only the WSGI environ keeps them.
    """
    if request.environ.get("PATH_INFO", "").startswith("//"):
        raise NotFound


@bp.get("/demo")
def demo() -> Response:
    """The rows named ``name`` (or a random name), in id order."""
    name = query.name_parameter(request.query_string)
    if name is None:
        name = "".join(random.choices(ALPHABET, k=random.randrange(1, 254)))
    return json(orjson.dumps(find_by_name(name), option=JSON_OPTIONS))


@bp.get("/idle")
def idle() -> Response:
    """No database access."""
    return json(IDLE)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers; the database is not consulted."""
    return json(OK)


@bp.get("/readyz")
def readyz() -> Response:
    """Readiness: ``SELECT 1 FROM demo_data LIMIT 1`` works through the pool, in time."""
    fetch_all(READY)
    return json(READY_BODY)
