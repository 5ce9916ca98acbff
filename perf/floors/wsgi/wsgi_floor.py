"""Reference point, NOT a template: the WSGI stacks' floor, with no framework at all.

A bare WSGI callable on gunicorn with a plain LIFO queue of DB-API connections: the same server
and the same statement and JSON as the Django and Flask services, none of their framework, ORM,
pool bookkeeping or error handling. It answers ``/demo`` (the contract's statement with the name
bound as a parameter, the contract's JSON) and ``/idle``. It skips what a service must do
(strict query strings, timeouts, recovery, error bodies), so it is the limit of the stack on one
core, not an example. Three floors run it (gunicorn_conf.py picks the worker):

- ``floor-gevent``: gevent worker, mysqlclient made cooperative by greenify (the services' stack);
- ``floor-gevent-pymysql``: gevent worker, pure-Python PyMySQL on gevent's patched sockets;
- ``floor-gthread``: gthread worker, plain threads, mysqlclient releasing the GIL while it waits.

Run by ``python -m perf.bench`` in this folder's pinned environment (requirements.txt):
``gunicorn -c gunicorn_conf.py 'wsgi_floor:create_app()'`` with ``FLOOR_DRIVER`` and
``FLOOR_WORKER``. gunicorn calls ``create_app()`` in the worker, after gevent's patching.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterable
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import orjson

StartResponse = Callable[[str, list[tuple[str, str]]], Any]

LOOKUP = "SELECT id, name, create_time, update_time FROM demo_data WHERE name = %s ORDER BY id"
ALPHABET = "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+=-"
OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS
IDLE = orjson.dumps({"status": "idle"})
KEYS = ("id", "name", "create_time", "update_time")
POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "10"))
DRIVER = os.environ.get("FLOOR_DRIVER", "mysqlclient")  # or "pymysql"
WORKER = os.environ.get("FLOOR_WORKER", "gevent")  # gunicorn_conf.py checks it


class Queue(Protocol):
    """gevent's or the standard library's LifoQueue: the worker decides which."""

    def get(self) -> Any: ...
    def put(self, item: Any) -> None: ...


# Set once per worker by create_app().
POOL: Queue | None = None


def connect() -> Any:
    """One connection with the services' session settings, by the driver FLOOR_DRIVER names."""
    url = urlsplit(os.environ["DATABASE_URL"])
    return _driver().connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "",
        password=url.password or "",
        database=url.path.lstrip("/"),
        charset="utf8mb4",
        init_command="SET time_zone = '+00:00'",
        autocommit=True,
    )


def _driver() -> Any:
    # Imported here: only the floor that uses a driver imports it.
    if DRIVER == "pymysql":
        import pymysql  # noqa: PLC0415

        return pymysql
    if DRIVER == "mysqlclient":
        import MySQLdb  # noqa: PLC0415

        return MySQLdb
    raise RuntimeError(f"FLOOR_DRIVER must be mysqlclient or pymysql, not {DRIVER!r}")


def create_app() -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The WSGI app, its pool open: greenify first where gevent waits on mysqlclient."""
    global POOL  # noqa: PLW0603  (one pool per worker process)
    queue: Queue
    if WORKER == "gthread":
        from queue import LifoQueue  # noqa: PLC0415

        queue = LifoQueue()
    else:
        from gevent.queue import LifoQueue as GeventLifoQueue  # noqa: PLC0415

        queue = GeventLifoQueue()
        if DRIVER == "mysqlclient":
            _greenify_mysql_client()
    for _ in range(POOL_SIZE):
        queue.put(connect())
    POOL = queue
    return app


def _greenify_mysql_client() -> None:
    """Make the MySQL C client's waits cooperative, as the gevent services do."""
    import greenify  # noqa: PLC0415
    import MySQLdb._mysql  # noqa: F401, PLC0415  (maps the C client library)

    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "libmariadb" in line or "libmysql" in line}
    greenify.greenify()
    for path in paths:
        if not greenify.patch_lib(path):
            raise RuntimeError(f"greenify could not patch {path}")


def _lookup(name: str) -> bytes:
    assert POOL is not None, "create_app() opens the pool"
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
