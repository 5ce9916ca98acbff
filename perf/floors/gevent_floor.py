"""Reference point, NOT a template: the gevent stack's floor, with no framework at all.

A bare WSGI callable on gunicorn's gevent worker with mysqlclient made cooperative by
greenify, and a plain queue of connections: the same server and driver as the Django and
Flask services, none of their framework, ORM, pool bookkeeping or error handling. It answers
``/demo`` (the contract's statement, the contract's JSON) and ``/idle``. It skips what a
service must do (strict query strings, timeouts that hold under greenify, recovery, error
bodies), so it is the limit of the stack on one core, not an example.

Run by perf/run.py in the Flask service's pinned environment:
``gunicorn -c gevent_floor_conf.py gevent_floor:app``.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import MySQLdb
import orjson
from gevent.queue import LifoQueue

StartResponse = Callable[[str, list[tuple[str, str]]], Any]

LOOKUP = "SELECT id, name, create_time, update_time FROM demo_data WHERE name = %s ORDER BY id"
ALPHABET = "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+=-"
OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS
IDLE = orjson.dumps({"status": "idle"})
POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "10"))
KEYS = ("id", "name", "create_time", "update_time")

# Gunicorn's gevent worker imports this module after monkey patching; gevent_floor_conf.py
# fills the pool once greenify has patched the C client.
POOL = LifoQueue()


def fill_pool() -> None:
    """Open the pool's connections (called once per worker, after greenify)."""
    url = urlsplit(os.environ["DATABASE_URL"])
    for _ in range(POOL_SIZE):
        POOL.put(
            MySQLdb.connect(
                host=url.hostname or "127.0.0.1",
                port=url.port or 3306,
                user=url.username or "",
                password=url.password or "",
                database=url.path.lstrip("/"),
                charset="utf8mb4",
                init_command="SET time_zone = '+00:00'",
                autocommit=True,
            )
        )


def _lookup(name: str) -> bytes:
    connection = POOL.get()
    try:
        cursor = connection.cursor()
        cursor.execute(LOOKUP, (name,))
        rows = cursor.fetchall()
        cursor.close()
    finally:
        POOL.put(connection)
    body: bytes = orjson.dumps([dict(zip(KEYS, row, strict=True)) for row in rows], option=OPTIONS)
    return body


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ["PATH_INFO"]
    if path == "/idle":
        status, body = "200 OK", IDLE
    elif path == "/demo":
        names = parse_qs(environ.get("QUERY_STRING", "").encode("latin-1").decode()).get("name")
        name = names[0] if names else "".join(random.choices(ALPHABET, k=random.randrange(1, 254)))
        status, body = "200 OK", _lookup(name)
    else:
        status, body = "404 Not Found", b'{"error":"not_found"}'
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
