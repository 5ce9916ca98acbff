"""Settings from the environment, read and checked once, before serving.

``DATABASE_URL`` is ``mysql://USER:PASSWORD@HOST[:PORT]/DATABASE[?ssl-mode=MODE[&ssl-ca=PATH]]``,
with MySQL's own option names: https://dev.mysql.com/doc/refman/8.4/en/connection-options.html
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from sqlalchemy.engine import URL

DEFAULTS = {
    "DB_POOL_SIZE": "10",
    "DB_POOL_TIMEOUT": "5",
    "DB_CONNECT_TIMEOUT": "2",
    "DB_QUERY_TIMEOUT": "5",
}
SSL_MODES = ("DISABLED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY")
FLAGS = {"true": True, "1": True, "yes": True, "on": True}
FLAGS |= {"false": False, "0": False, "no": False, "off": False}


class ConfigError(ValueError):
    """``NAME: why``; the process logs ``invalid configuration: NAME: why`` and exits."""


def from_environ(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The app's settings: the database URL, mysqlclient's SSL options, the pool's numbers."""
    value = {**DEFAULTS, **environ}.get
    url, ssl = database_url(environ.get("DATABASE_URL", ""))
    return {
        "DATABASE_URL": url,
        "DB_SSL": ssl,
        "DB_POOL_SIZE": integer("DB_POOL_SIZE", value("DB_POOL_SIZE", "")),
        "DB_POOL_TIMEOUT": seconds("DB_POOL_TIMEOUT", value("DB_POOL_TIMEOUT", "")),
        "DB_CONNECT_TIMEOUT": seconds("DB_CONNECT_TIMEOUT", value("DB_CONNECT_TIMEOUT", "")),
        "DB_QUERY_TIMEOUT": seconds("DB_QUERY_TIMEOUT", value("DB_QUERY_TIMEOUT", "")),
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
    """The SQLAlchemy URL for mysqlclient, and its ``ssl_mode``/``ssl`` connect arguments."""

    def refuse(why: str) -> ConfigError:
        return ConfigError(f"DATABASE_URL: {why}")  # never the value: it holds the password

    if not value:
        raise refuse("required, mysql://USER:PASSWORD@HOST[:PORT]/DATABASE")
    parts = urlsplit(value)
    if parts.scheme != "mysql":
        raise refuse("the scheme must be mysql")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise refuse("the port must be an integer from 1 to 65535")
    if not parts.hostname:
        raise refuse("a host is required")
    if not parts.username:
        raise refuse("a user is required")
    database = unquote(parts.path.removeprefix("/"))
    if not database or "/" in database:
        raise refuse("a database name is required")
    if parts.fragment:
        raise refuse("no fragment is allowed")
    options: dict[str, str] = {}
    for key, option in parse_qsl(parts.query, keep_blank_values=True):
        if key not in ("ssl-mode", "ssl-ca"):
            raise refuse(f"unknown option {key!r}: only ssl-mode and ssl-ca")
        if key in options:
            raise refuse(f"{key} is given twice")
        options[key] = option
    mode = options.get("ssl-mode", "DISABLED").upper()
    if mode not in SSL_MODES:
        raise refuse(f"ssl-mode must be one of {', '.join(SSL_MODES)}")
    ssl: dict[str, Any] = {"ssl_mode": mode}
    if "ssl-ca" in options:
        if mode == "DISABLED" or not options["ssl-ca"]:
            raise refuse("ssl-ca needs a path and an ssl-mode other than DISABLED")
        ssl["ssl"] = {"ca": options["ssl-ca"]}
    url = URL.create(
        "mysql+mysqldb",
        username=unquote(parts.username),
        password=unquote(parts.password or ""),
        host=parts.hostname,
        port=port or 3306,
        database=database,
    )
    return url, ssl


def integer(name: str, value: str, low: int = 1, high: int | None = None) -> int:
    """An integer from ``low`` to ``high``."""
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name}: must be an integer, got {value!r}") from None
    if number < low or (high is not None and number > high):
        span = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ConfigError(f"{name}: must be {span}, got {number}")
    return number


def seconds(name: str, value: str) -> float:
    """A finite decimal number of seconds above zero."""
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
