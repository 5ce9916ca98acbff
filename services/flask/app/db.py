"""The database: one bounded SQLAlchemy pool per worker, a pooled connection per statement.

``dataset`` (https://dataset.readthedocs.io/) gives every thread its own connection, and
under gevent every greenlet is a thread. Outside a transaction it keeps that connection
for good: the blog's service grew a connection per greenlet it ever ran. dataset 2 hands the
connection back to the pool when a transaction ends, so each statement runs in one:
``fetch_all`` begins it (checking a connection out), reads every row and ends it (handing the
connection back) before the view goes on to build its response. A connection is held for a
query's round trip rather than a whole request, so the pool's ten serve many more concurrent
requests without queueing. ``get_db`` is the Flask tutorial's accessor
(https://flask.palletsprojects.com/en/stable/tutorial/database/), for the worker's pool.

Pool settings: https://docs.sqlalchemy.org/en/21/core/pooling.html
mysqlclient's connect() arguments: https://mysqlclient.readthedocs.io/user_guide.html#functions-and-attributes
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping
from typing import Any

import dataset
from flask import Flask, current_app
from sqlalchemy import Connection, TextClause, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry

from app.errors import one_line
from app.turns import Turns

EXTENSION = "dataset"

# The contract's lookup and readiness statements, as SQLAlchemy text() constructs built once:
# dataset's query() runs them with the name as a bound parameter (never formatted into the
# SQL), and SQLAlchemy compiles each once and finds it in its statement cache afterwards.
# https://dataset.readthedocs.io/en/latest/api.html#dataset.Database.query
# https://docs.sqlalchemy.org/en/21/core/connections.html#sql-compilation-caching
LOOKUP = text(
    "SELECT id, name, create_time, update_time FROM demo_data WHERE name = :name ORDER BY id"
)
READY = text("SELECT 1 FROM demo_data LIMIT 1")
# Set in a connection's info when it first goes back to the pool: a pooled connection, as
# opposed to one opened for the request at hand (which is never retried).
# https://docs.sqlalchemy.org/en/21/core/events.html#sqlalchemy.events.PoolEvents.checkin
_POOLED = "demo.pooled"


class Database(dataset.Database):
    """dataset's Database, checking a thread's connection out without holding its lock.

    dataset 2.0 opens a thread's connection inside ``Database.lock``, one lock for the whole
    database. Under gevent that serialises every checkout (the wait for a free connection, the
    handshake of a new connection) and stalls a busy pool: a request waiting for a connection
    holds the lock that finished requests need to give theirs back, so waiters time out one
    after another (tests/test_cooperative.py). A thread only ever reads and writes its own
    entry, so the checkout can happen outside the lock.
    """

    # Set by connect(): fetch_all() takes a turn before every checkout (app/turns.py).
    turns: Turns
    # The C client's read and write timeout, in whole seconds (connect_args()).
    query_timeout: int

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
    assert db.engine is not None
    event.listen(db.engine, "checkin", _mark_pooled)
    db.turns = Turns(config["DB_POOL_SIZE"], config["DB_POOL_TIMEOUT"])
    db.query_timeout = math.ceil(config["DB_QUERY_TIMEOUT"])
    return db


def _mark_pooled(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[_POOLED] = True


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


def fetch_all(statement: TextClause, **params: Any) -> list[Mapping[str, Any]]:
    """Every row of a read-only statement, on a pooled connection held only while it runs.

    A pooled connection can turn out dead (the server restarted or KILLed it, or a firewall
    dropped it). SQLAlchemy then invalidates it and every connection of the pool opened before
    it, and a read-only statement in autocommit mode is safe to run once more, on a fresh
    connection:
    https://docs.sqlalchemy.org/en/21/faq/connections.html#how-do-i-retry-a-statement-execution-automatically
    A statement that timed out is not run again: that would double the wait on a database
    that is only slow. mysqlclient reports both as "lost connection" (2013, which SQLAlchemy
    counts as a disconnect); the time it took tells them apart.
    """
    db = get_db()
    for attempt in (1, 2):
        # A turn at the pool (first come, first served: at most DB_POOL_TIMEOUT), then a
        # connection checked out for this greenlet.
        with db.turns.turn():
            db.begin()
            try:
                pooled = db.executable.connection.info.get(_POOLED, False)
                started = time.monotonic()
                try:
                    rows = list(db.query(statement, **params))
                except DBAPIError as error:
                    elapsed = time.monotonic() - started
                    dead = error.connection_invalidated and elapsed < 0.9 * db.query_timeout
                    if attempt == 2 or not (pooled and dead):
                        raise
                    continue  # the dead connection is gone; the next checkout opens one
                return rows
            finally:
                # Gives the connection back; a rollback in autocommit mode sends nothing to
                # the server (see connect()).
                db.rollback()
    raise AssertionError("unreachable")


def find_by_name(name: str) -> list[Mapping[str, Any]]:
    """The contract's lookup: the rows named ``name``, in id order, as dicts."""
    return fetch_all(LOOKUP, name=name)


def warm_up(app: Flask) -> None:
    """Open the pool's connections at once, waiting at most DB_CONNECT_TIMEOUT for them.

    Called when a worker starts, so the first requests find connections ready. Whatever the
    outcome the worker goes on: connections still opening join the pool when they are open,
    missing ones are opened when a request needs one.
    """
    db: Database = app.extensions[EXTENSION]
    engine = db.engine
    assert engine is not None
    size, timeout = app.config["DB_POOL_SIZE"], app.config["DB_CONNECT_TIMEOUT"]
    lock = threading.Lock()
    opened: list[Connection] = []  # held until all are open, so that each is a new one
    failures: list[SQLAlchemyError] = []
    done = False

    def open_one() -> None:
        try:
            connection = engine.connect()
        except SQLAlchemyError as error:
            failures.append(error)
            return
        with lock:
            if not done:
                opened.append(connection)
                return
        connection.close()  # opened after the deadline: straight to the pool

    threads = [threading.Thread(target=open_one, daemon=True) for _ in range(size)]
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    with lock:
        done = True
    for connection in opened:
        connection.close()  # back to the pool
    pending = sum(thread.is_alive() for thread in threads)
    if failures or pending:
        cause = f": {one_line(failures[0])}" if failures else ""
        app.logger.warning(
            "Pool fill: %d of %d connections failed, %d still opening after %s s; "
            "connecting on demand%s",
            len(failures),
            size,
            pending,
            timeout,
            cause,
        )


def close(app: Flask) -> None:
    """Close every pooled connection (the worker is exiting)."""
    db: Database = app.extensions[EXTENSION]
    db.close()
