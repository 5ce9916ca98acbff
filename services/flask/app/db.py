"""The database: one bounded SQLAlchemy pool per worker, a pooled connection per statement.

``dataset`` (https://dataset.readthedocs.io/) gives every thread its own connection, and
under gevent every greenlet is a thread. Outside a transaction it keeps that connection
for good: the blog's service grew a connection per greenlet it ever ran. dataset 2 hands the
connection back to the pool when a transaction ends, so each statement runs in one:
``fetch_all`` begins it (checking a connection out), reads every row and ends it (handing the
connection back) before the view goes on to build its response. A connection is held for a
query's round trip rather than a whole request, so the pool's ten serve many more concurrent
requests without queueing (perf/README.md). ``get_db`` is the Flask tutorial's accessor
(https://flask.palletsprojects.com/en/stable/tutorial/database/), for the worker's pool.

Pool settings: https://docs.sqlalchemy.org/en/21/core/pooling.html
mysqlclient's connect() arguments: https://mysqlclient.readthedocs.io/user_guide.html#functions-and-attributes
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import dataset
from flask import Flask, current_app
from sqlalchemy import Connection, Row
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.errors import one_line

EXTENSION = "dataset"

# CONTRACT.md's lookup and readiness statements, in mysqlclient's own paramstyle. The name is
# a bound parameter: mysqlclient escapes it with the connection's character set, it is never
# formatted into the SQL. They run as they are, through SQLAlchemy's exec_driver_sql() on
# dataset's connection: dataset's query() would have SQLAlchemy look a text() construct up in
# its compiled cache and process its parameters on every call, a tenth of /demo's time
# (perf/README.md) for a statement that never changes.
LOOKUP = "SELECT id, name, create_time, update_time FROM demo_data WHERE name = %s ORDER BY id"
LOOKUP_COLUMNS = ("id", "name", "create_time", "update_time")
READY = "SELECT 1 FROM demo_data LIMIT 1"


class Database(dataset.Database):
    """dataset's Database, checking a thread's connection out without holding its lock.

    dataset 2.0 opens a thread's connection inside ``Database.lock``, one lock for the whole
    database. Under gevent that serialises every checkout (the wait for a free connection, the
    handshake of a new connection) and stalls a busy pool: a request waiting for a connection
    holds the lock that finished requests need to give theirs back, so waiters time out one
    after another (tests/test_cooperative.py). A thread only ever reads and writes its own
    entry, so the checkout can happen outside the lock.
    """

    # Set by connect(): fetch_all() takes a turn before every checkout (see Turns).
    turns: Turns

    @property
    def executable(self) -> Connection:
        """The calling thread's (greenlet's) connection, checked out on first use."""
        ident = threading.get_ident()
        connection = self.connections.get(ident)
        if connection is None:
            if self.engine is None:
                raise RuntimeError("Database is closed")
            connection = self.engine.connect()
            with self.lock:
                self.connections[ident] = connection
        return connection


class Turns:
    """Up to ``size`` holders at once; the others wait their turn, first come, first served.

    SQLAlchemy's QueuePool hands a connection that comes back to whoever asks next: under gevent
    a request arriving then takes it before the waiter it was meant for wakes up, and that
    waiter queues again at the back. Most requests wait milliseconds while a few wait out
    DB_POOL_TIMEOUT and get a 503 (seen at 32 concurrent requests on 10 connections). Every
    checkout takes a turn here first, with as many turns as the pool has connections, so the
    pool itself never makes anyone wait; a turn given back goes straight to the longest waiting
    request. The lock is the standard library's, gevent's once the worker is monkey-patched.
    """

    def __init__(self, size: int, timeout: float) -> None:
        self._lock = threading.Lock()
        self._free = size
        self._waiters: deque[threading.Lock] = deque()  # the longest waiting first
        self._timeout = timeout

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold a turn for the block; waits at most ``timeout`` seconds for one."""
        self._take()
        try:
            yield
        finally:
            self._give()

    def _take(self) -> None:
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return
            waiter = threading.Lock()
            waiter.acquire()
            self._waiters.append(waiter)
        if waiter.acquire(timeout=self._timeout):  # released by _give(): our turn
            return
        with self._lock:
            if waiter not in self._waiters:
                return  # a turn arrived as the wait ran out: keep it
            self._waiters.remove(waiter)
        raise PoolTimeoutError(f"no database connection freed up within {self._timeout} s")

    def _give(self) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().release()  # straight to the longest waiting
            else:
                self._free += 1


def init_app(app: Flask) -> None:
    """Create the worker's pool (no connection yet)."""
    app.extensions[EXTENSION] = connect(app.config)


def connect(config: Mapping[str, Any]) -> Database:
    """A dataset Database over a bounded pool of mysqlclient connections."""
    url: URL = config["DATABASE_URL"]
    db = Database(
        url.render_as_string(hide_password=False),
        ensure_schema=False,  # read only: never create tables or columns
        row_type=dict,  # plain dicts, as orjson likes them
        engine_kwargs={
            # At most DB_POOL_SIZE connections per worker, never more (no overflow); a
            # request waits DB_POOL_TIMEOUT for one, then gets sqlalchemy.exc.TimeoutError.
            "pool_size": config["DB_POOL_SIZE"],
            "max_overflow": 0,
            "pool_timeout": config["DB_POOL_TIMEOUT"],
            # Dead connections are handled when met, not by a ping per request (that would
            # double the round trips): SQLAlchemy then replaces every connection of the pool
            # opened before, and fetch_all() runs the statement again on a fresh one.
            # https://docs.sqlalchemy.org/en/21/core/pooling.html#disconnect-handling-optimistic
            # No connection older than this is used, so none has idled longer either: below
            # the 4 minutes after which cloud load balancers and NATs drop idle TCP flows
            # silently, and far below MySQL's wait_timeout (8 h by default).
            "pool_recycle": 180,
            # One SELECT per request needs no transaction: autocommit, and no ROLLBACK round
            # trip when a connection goes back to the pool.
            # https://docs.sqlalchemy.org/en/21/core/connections.html#dbapi-autocommit-skip-rollback
            "isolation_level": "AUTOCOMMIT",
            "skip_autocommit_rollback": True,
            "connect_args": connect_args(config),
        },
    )
    db.turns = Turns(config["DB_POOL_SIZE"], config["DB_POOL_TIMEOUT"])
    return db


def connect_args(config: Mapping[str, Any]) -> dict[str, Any]:
    """mysqlclient's connect() arguments: timeouts, character set, session time zone."""
    return {
        # Whole seconds in the C client: round up, never down to 0 (0 means "wait forever",
        # which greenify's poll hook turns into "give up at once").
        "connect_timeout": math.ceil(config["DB_CONNECT_TIMEOUT"]),
        "read_timeout": math.ceil(config["DB_QUERY_TIMEOUT"]),
        "write_timeout": math.ceil(config["DB_QUERY_TIMEOUT"]),
        "charset": "utf8mb4",
        # TIMESTAMP columns then come out in UTC (see json_provider.py).
        "init_command": "SET time_zone = '+00:00'",
    }


def get_db() -> Database:
    """The worker's database: its pool, and a connection per greenlet while in a transaction."""
    db: Database = current_app.extensions[EXTENSION]
    return db


def fetch_all(sql: str, *args: Any) -> list[Row[Any]]:
    """Every row of a read-only statement, on a pooled connection held only while it runs.

    A pooled connection can turn out dead (the server restarted, or a firewall dropped it).
    SQLAlchemy then invalidates it and the rest of the pool, and a read-only statement in
    autocommit mode is safe to run once more, on a fresh connection:
    https://docs.sqlalchemy.org/en/21/faq/connections.html#how-do-i-retry-a-statement-execution-automatically
    """
    db = get_db()
    try:
        return _fetch_all(db, sql, args)
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
    return _fetch_all(db, sql, args)  # the dead connection went back; this takes a new one


def _fetch_all(db: Database, sql: str, args: tuple[Any, ...]) -> list[Row[Any]]:
    # A turn at the pool (first come, first served: at most DB_POOL_TIMEOUT), then a
    # connection checked out for this greenlet.
    with db.turns.turn():
        db.begin()
        try:
            return list(db.executable.exec_driver_sql(sql, args))
        finally:
            # Gives the connection back; a rollback in autocommit mode sends nothing to the
            # server (see connect()).
            db.rollback()


def find_by_name(name: str) -> list[dict[str, Any]]:
    """CONTRACT.md's lookup: the rows named ``name``, in id order, as dicts."""
    return [dict(zip(LOOKUP_COLUMNS, row, strict=True)) for row in fetch_all(LOOKUP, name)]


def warm_up(app: Flask) -> None:
    """Open the pool's connections before the first request; a database that is down is fine."""
    db: Database = app.extensions[EXTENSION]
    assert db.engine is not None
    opened: list[Connection] = []
    try:
        for _ in range(app.config["DB_POOL_SIZE"]):
            opened.append(db.engine.connect())
    except SQLAlchemyError as error:
        app.logger.warning(
            "database not reachable at start (%s); connections will be opened on demand",
            one_line(error),
        )
    finally:
        for connection in opened:
            connection.close()


def close(app: Flask) -> None:
    """Close every pooled connection (the worker is exiting)."""
    db: Database = app.extensions[EXTENSION]
    db.close()
