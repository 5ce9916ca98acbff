"""The four endpoints of CONTRACT.md, on one blueprint.

https://flask.palletsprojects.com/en/stable/blueprints/ . Routes are GET only: werkzeug adds
HEAD by itself, and create_app turns off Flask's automatic OPTIONS so that OPTIONS is a 405.
``/demo/`` does not match ``/demo`` (strict slashes, no redirect): it is a 404.
"""

from __future__ import annotations

import random
from typing import Any

import orjson
from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from app import query
from app.db import READY, fetch_all, find_by_name
from app.errors import DatabaseUnavailable, one_line

bp = Blueprint("demo", __name__)

# The blog's random names: 76 characters, names of 1 to 253 characters.
ALPHABET = "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+=-"

# The bodies that never change, rendered once: returned as a dict, Flask would serialise them
# again on every request (a tenth of /idle's time in the app, perf/README.md).
IDLE = orjson.dumps({"status": "idle"})
OK = orjson.dumps({"status": "ok"})


def random_name() -> str:
    """A name drawn exactly as the blog's benchmark draws it."""
    return "".join(random.choices(ALPHABET, k=random.randrange(1, 254)))


@bp.get("/demo")
def demo() -> list[Any]:
    """The rows named ``name`` (or a random name), in id order."""
    name = query.name_parameter(request.query_string)
    return find_by_name(name if name is not None else random_name())


@bp.get("/idle")
def idle() -> Response:
    """No database access: the blog's idle test."""
    return current_app.response_class(IDLE, mimetype="application/json")


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process answers; the database is not consulted."""
    return current_app.response_class(OK, mimetype="application/json")


@bp.get("/readyz")
def readyz() -> dict[str, str]:
    """Readiness: ``SELECT 1 FROM demo_data LIMIT 1`` works through the pool, in time."""
    try:
        fetch_all(READY)
    except SQLAlchemyError as error:
        # Any failure means "not ready", a missing table included (elsewhere that is a 500).
        current_app.logger.error("not ready: %s", one_line(error))
        raise DatabaseUnavailable from error
    return {"status": "ready"}
