"""The database: one bounded SQLAlchemy pool per worker, one pooled connection per request.

``dataset`` (https://dataset.readthedocs.io/) gives every thread its own connection, and
under gevent every greenlet is a thread. Outside a transaction it keeps that connection
for good: the blog's service grew a connection per greenlet it ever ran. dataset 2 hands the
connection back to the pool when a transaction ends, so each request runs in one: ``get_db``
begins it (checking a connection out) and the ``teardown_appcontext`` handler ends it. This
is the Flask tutorial's ``get_db``/``close_db`` pattern
(https://flask.palletsprojects.com/en/stable/tutorial/database/) around a pool.

Pool settings: https://docs.sqlalchemy.org/en/21/core/pooling.html
mysqlclient's connect() arguments: https://mysqlclient.readthedocs.io/user_guide.html#functions-and-attributes
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from typing import Any

import dataset
from flask import Flask, current_app, g
from sqlalchemy import Connection, TextClause, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from app.errors import one_line

EXTENSION = "dataset"

# CONTRACT.md's lookup and readiness statements, parsed once. ``:name`` is a bound parameter:
# mysqlclient escapes it with the connection's character set, never formatted into the SQL.
LOOKUP = text(
    "SELECT id, name, create_time, update_time FROM demo_data WHERE name = :name ORDER BY id"
)
READY = text("SELECT 1 FROM demo_data LIMIT 1")


class Database(dataset.Database):
    """dataset's Database, checking a thread's connection out without holding its lock.

    dataset 2.0 opens a thread's connection inside ``Database.lock``, one lock for the whole
    database. Under gevent that serialises every checkout (the wait for a free connection, the
    handshake of a new connection) and stalls a busy pool: a request waiting for a connection
    holds the lock that finished requests need to give theirs back, so waiters time out one
    after another (tests/test_cooperative.py). A thread only ever reads and writes its own
    entry, so the checkout can happen outside the lock.
    """

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
    """Create the worker's pool (no connection yet) and release connections after requests."""
    app.extensions[EXTENSION] = connect(app.config)
    app.teardown_appcontext(close_db)


def connect(config: Mapping[str, Any]) -> Database:
    """A dataset Database over a bounded pool of mysqlclient connections."""
    url: URL = config["DATABASE_URL"]
    return Database(
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
    """The worker's database, with a pooled connection checked out for this request."""
    if "db" not in g:
        db: Database = current_app.extensions[EXTENSION]
        # Checks a connection out for this greenlet: waits at most DB_POOL_TIMEOUT.
        db.begin()
        g.db = db
    return g.db  # type: ignore[no-any-return]


def fetch_all(statement: TextClause, **params: Any) -> list[Mapping[str, Any]]:
    """Every row of a read-only statement, on this request's connection.

    A pooled connection can turn out dead (the server restarted, or a firewall dropped it).
    SQLAlchemy then invalidates it and the rest of the pool, and a read-only statement in
    autocommit mode is safe to run once more, on a fresh connection:
    https://docs.sqlalchemy.org/en/21/faq/connections.html#how-do-i-retry-a-statement-execution-automatically
    """
    db = get_db()
    try:
        return list(db.query(statement, **params))
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
    db.rollback()  # gives the dead connection back
    db.begin()  # checks out a new one
    return list(db.query(statement, **params))


def close_db(exception: BaseException | None = None) -> None:
    """End the request's transaction, which returns its connection to the pool."""
    db: Database | None = g.pop("db", None)
    if db is not None:
        # A rollback in autocommit mode sends nothing to the server (see connect()).
        db.rollback()


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
