"""``DATABASE_URL`` (``mysql://user:password@host:port/database``) to a PyMySQL connection.

The same URL form as the services (CONTRACT.md, "Configuration"): user and password are
percent-encoded, the port defaults to 3306.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

import pymysql

FORM = "mysql://user:password@host:port/database"
SCHEMES = {"mysql", "mysql+pymysql", "mysql+mysqldb", "mysql+aiomysql"}


def server_params(url: str) -> dict[str, Any]:
    """The server and login of ``url``: ``pymysql.connect``'s host, port, user and password."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ValueError(f"DATABASE_URL must look like {FORM}, not {url!r}")
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": unquote(parts.username or "root"),
        "password": unquote(parts.password or ""),
    }


def connection_params(url: str) -> dict[str, Any]:
    """The ``pymysql.connect`` keyword arguments that ``url`` stands for (a database named)."""
    database = urlsplit(url).path.lstrip("/")
    if not database:
        raise ValueError(f"DATABASE_URL must look like {FORM}")
    return {**server_params(url), "database": unquote(database)}


def connect(url: str, **overrides: Any) -> pymysql.Connection[Any]:
    """A utf8mb4 connection with bounded timeouts, so a dead server fails instead of hanging."""
    params: dict[str, Any] = {
        **connection_params(url),
        "charset": "utf8mb4",
        "connect_timeout": 10,
        "read_timeout": 600,  # one bulk statement may take a while on a slow disk
        "write_timeout": 600,
    }
    params.update(overrides)
    return pymysql.connect(**params)
