"""The four endpoints of the contract (README.md), on one blueprint.

https://flask.palletsprojects.com/en/stable/blueprints/ . Routes are GET only: werkzeug adds
HEAD by itself, and create_app turns off Flask's automatic OPTIONS so that OPTIONS is a 405.
``/demo/`` does not match ``/demo`` (strict slashes, no redirect): it is a 404.
"""

from __future__ import annotations

import random
from typing import Any

import orjson
from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import NotFound

from app import query
from app.db import READY, fetch_all, find_by_name

bp = Blueprint("demo", __name__)

# The blog's random names: 76 characters, names of 1 to 253 characters.
ALPHABET = "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+=-"

# The bodies that never change, rendered once: returned as a dict, Flask would serialise them
# again on every request.
IDLE = orjson.dumps({"status": "idle"})
OK = orjson.dumps({"status": "ok"})
READY_BODY = orjson.dumps({"status": "ready"})


def exact_path() -> None:
    """404 for a path with leading slashes that werkzeug's router ignores (``//demo``).

    werkzeug 3.1 strips them before matching even with ``merge_slashes`` off
    (``MapAdapter.match``; https://github.com/pallets/flask/issues/5489), and so does
    ``request.path``: only the WSGI environ has the path as it arrived.
    """
    if request.environ.get("PATH_INFO", "").startswith("//"):
        raise NotFound


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
def readyz() -> Response:
    """Readiness: ``SELECT 1 FROM demo_data LIMIT 1`` works through the pool, in time."""
    fetch_all(READY)  # a database error is the 503 of app/errors.py
    return current_app.response_class(READY_BODY, mimetype="application/json")
