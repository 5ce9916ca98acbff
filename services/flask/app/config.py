"""Settings from the environment, read once when the app is created.

The names and defaults are the contract's. Flask's own ``from_prefixed_env`` only reads
``FLASK_*`` names, so the contract's names are read and checked here and handed to
``app.config.from_mapping`` (https://flask.palletsprojects.com/en/stable/config/).
``PORT``, ``WEB_CONCURRENCY`` and ``ACCESS_LOG`` belong to the server: see gunicorn.conf.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DEFAULTS = {
    "DB_POOL_SIZE": "10",
    "DB_POOL_TIMEOUT": "5",
    "DB_CONNECT_TIMEOUT": "2",
    "DB_QUERY_TIMEOUT": "5",
}


class ConfigError(RuntimeError):
    """The environment does not describe a usable service."""


def from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    """The app's settings from ``environ``; raises ConfigError naming what is wrong."""
    settings = {**DEFAULTS, **{k: v for k, v in environ.items() if k in DEFAULTS}}
    return {
        "DATABASE_URL": database_url(environ.get("DATABASE_URL", "")),
        "DB_POOL_SIZE": _positive_int("DB_POOL_SIZE", settings["DB_POOL_SIZE"]),
        "DB_POOL_TIMEOUT": _seconds("DB_POOL_TIMEOUT", settings["DB_POOL_TIMEOUT"]),
        "DB_CONNECT_TIMEOUT": _seconds("DB_CONNECT_TIMEOUT", settings["DB_CONNECT_TIMEOUT"]),
        "DB_QUERY_TIMEOUT": _seconds("DB_QUERY_TIMEOUT", settings["DB_QUERY_TIMEOUT"]),
    }


def database_url(value: str) -> URL:
    """``mysql://user:password@host:port/database`` as a SQLAlchemy URL for mysqlclient."""
    if not value:
        raise ConfigError("DATABASE_URL is required: mysql://user:password@host:port/database")
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):
        # Never echo the value: it holds the password.
        raise ConfigError("DATABASE_URL is not a URL") from None
    if url.drivername not in ("mysql", "mysql+mysqldb"):
        raise ConfigError("DATABASE_URL must start with mysql://")
    if not url.host or not url.database:
        raise ConfigError("DATABASE_URL must name a host and a database")
    return url.set(drivername="mysql+mysqldb")


def _positive_int(name: str, value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {value!r}") from None
    if number < 1:
        raise ConfigError(f"{name} must be at least 1, got {number}")
    return number


def _seconds(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {value!r}") from None
    if not (number > 0 and math.isfinite(number)):
        raise ConfigError(f"{name} must be a positive number of seconds, got {value!r}")
    return number
