"""Settings from the environment, read and checked once, before serving.

``DATABASE_URL`` is ``mysql://USER:PASSWORD@HOST[:PORT]/DATABASE[?ssl-mode=MODE[&ssl-ca=PATH]]``,
with MySQL's own option names: https://dev.mysql.com/doc/refman/8.4/en/connection-options.html
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

SSL_MODES = ("DISABLED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY")
FLAGS = {"true": True, "1": True, "yes": True, "on": True}
FLAGS |= {"false": False, "0": False, "no": False, "off": False}


class ConfigError(ValueError):
    """``NAME: why``; the process logs ``invalid configuration: NAME: why`` and exits."""


def from_environ(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The app's settings: the database URL, mysqlclient's SSL options, the pool's numbers."""
    url, ssl = database_url(environ.get("DATABASE_URL", ""))
    return {
        "DATABASE_URL": url,
        "DB_SSL": ssl,
        "DB_POOL_SIZE": integer("DB_POOL_SIZE", environ.get("DB_POOL_SIZE", "10")),
        "DB_POOL_TIMEOUT": seconds("DB_POOL_TIMEOUT", environ.get("DB_POOL_TIMEOUT", "5")),
        "DB_CONNECT_TIMEOUT": seconds("DB_CONNECT_TIMEOUT", environ.get("DB_CONNECT_TIMEOUT", "2")),
        "DB_QUERY_TIMEOUT": seconds("DB_QUERY_TIMEOUT", environ.get("DB_QUERY_TIMEOUT", "5")),
    }


def server(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """gunicorn's settings: the port, the workers, the access log, the worker model."""
    app = from_environ(environ)  # refused here too: before serving, not in a worker
    model = environ.get("WORKER_MODEL", "gevent")
    if model not in ("gevent", "threads"):
        raise ConfigError(f"WORKER_MODEL: must be gevent or threads, got {model!r}")
    threads = environ.get("WORKER_THREADS", str(app["DB_POOL_SIZE"]))
    return {
        "PORT": integer("PORT", environ.get("PORT", "8000"), high=65535),
        "WEB_CONCURRENCY": integer("WEB_CONCURRENCY", environ.get("WEB_CONCURRENCY", "1")),
        "ACCESS_LOG": flag("ACCESS_LOG", environ.get("ACCESS_LOG", "false")),
        "WORKER_MODEL": model,
        "WORKER_THREADS": integer("WORKER_THREADS", threads),
    }


def database_url(value: str) -> tuple[URL, dict[str, Any]]:
    """The SQLAlchemy URL for mysqlclient, and its ``ssl_mode``/``ssl`` connect arguments.

    Refusals never repeat the value: it holds the password.
    """
    form = "mysql://USER:PASSWORD@HOST[:PORT]/DATABASE"
    try:
        url = make_url(value)  # decodes user and password once
        port = 3306 if url.port is None else url.port
    except (ArgumentError, ValueError):
        raise ConfigError(f"DATABASE_URL: must be {form}") from None
    if url.drivername != "mysql" or not (url.username and url.host and url.database):
        raise ConfigError(f"DATABASE_URL: must be {form}")
    if not 0 < port <= 65535:
        raise ConfigError("DATABASE_URL: the port must be from 1 to 65535")
    # Read here, not from url.query: make_url drops an option without a value, so a blank
    # "?ssl-mode=" would read as no TLS.
    pairs = parse_qsl(urlsplit(value).query, keep_blank_values=True)
    options = dict(pairs)
    if set(options) - {"ssl-mode", "ssl-ca"} or len(options) < len(pairs):
        raise ConfigError("DATABASE_URL: the only options are ssl-mode and ssl-ca, once each")
    mode = options.get("ssl-mode", "DISABLED").upper()
    if mode not in SSL_MODES:
        raise ConfigError(f"DATABASE_URL: ssl-mode must be one of {', '.join(SSL_MODES)}")
    ssl: dict[str, Any] = {"ssl_mode": mode}
    if "ssl-ca" in options:
        if mode == "DISABLED":
            raise ConfigError("DATABASE_URL: ssl-ca needs an ssl-mode other than DISABLED")
        if not options["ssl-ca"]:
            raise ConfigError("DATABASE_URL: ssl-ca must name a PEM file")
        ssl["ssl"] = {"ca": options["ssl-ca"]}
    return url.set(drivername="mysql+mysqldb", port=port, query={}), ssl


def integer(name: str, value: str, high: int | None = None) -> int:
    """An integer from 1 to ``high``."""
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}: must be an integer, got {value!r}") from None
    if number < 1 or (high is not None and number > high):
        span = f"from 1 to {high}" if high is not None else "at least 1"
        raise ConfigError(f"{name}: must be {span}, got {number}")
    return number


def seconds(name: str, value: str) -> float:
    """A finite number of seconds above zero."""
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name}: must be a number of seconds, got {value!r}") from None
    if not (number > 0 and math.isfinite(number)):
        raise ConfigError(f"{name}: must be a finite number of seconds above 0, got {value!r}")
    return number


def flag(name: str, value: str) -> bool:
    """One of true/false/1/0/yes/no/on/off, in any case."""
    if value.strip().lower() not in FLAGS:
        raise ConfigError(f"{name}: must be one of {'/'.join(FLAGS)}, got {value!r}")
    return FLAGS[value.strip().lower()]
