"""The database: one bounded pool per worker, a first-come-first-served wait, one retry.

A request's connection comes from ``get_db()``, as in the Flask tutorial
(https://flask.palletsprojects.com/en/stable/tutorial/database/). dataset 2 gives each thread
(greenlet) its own connection and hands it back to the pool only when a transaction ends
(https://dataset.readthedocs.io/en/latest/quickstart.html#using-transactions), so each
request runs in one, ended when its app context is torn down.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

import dataset
import MySQLdb
from flask import Flask, current_app, g
from sqlalchemy import TextClause, event, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import ConnectionPoolEntry

EXTENSION = "dataset"
WAIT = "dataset.wait"
# Bound parameters, compiled once and then found in SQLAlchemy's statement cache.
LOOKUP = text(
    "SELECT id, name, create_time, update_time FROM demo_data WHERE name = :name ORDER BY id"
)
READY = text("SELECT 1 FROM demo_data LIMIT 1")
# Set on a connection when it first goes back to the pool: one opened for the request at
# hand is never retried.
POOLED = "pooled"


class FifoWait:
    """At most ``size`` holders; the others wait in arrival order, up to ``timeout`` seconds.

    QueuePool gives a returned connection to whoever asks next, often a request just arrived
    rather than the waiter it woke: under overload most wait milliseconds and a few time out.
    Here a freed place goes to the longest waiting request (gevent's locks once patched).
    """

    def __init__(self, size: int, timeout: float) -> None:
        self._lock = threading.Lock()
        self._free = size
        self._waiters: deque[threading.Lock] = deque()
        self._timeout = timeout

    def acquire(self) -> None:
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return
            waiter = threading.Lock()
            waiter.acquire()
            self._waiters.append(waiter)
        try:
            if waiter.acquire(timeout=self._timeout):
                return
        except BaseException:  # interrupted: gevent.Timeout, GreenletExit, ...
            if not self._leave(waiter):
                self.release()  # the place arrived meanwhile: to the next in line
            raise
        if self._leave(waiter):
            raise PoolTimeout(f"no connection free within {self._timeout} s")
        # else the place arrived as the wait ran out: kept

    def _leave(self, waiter: threading.Lock) -> bool:
        """Out of the line; False when the place was handed over already."""
        with self._lock:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
                return True
            return False

    def release(self) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().release()
            else:
                self._free += 1


def init_app(app: Flask) -> None:
    """The worker's pool (no connection yet), its wait, and the release after each request."""
    config = app.config
    db = dataset.connect(
        config["DATABASE_URL"].render_as_string(hide_password=False),
        ensure_schema=False,  # read only: never create tables or columns
        row_type=dict,
        engine_kwargs={
            # https://docs.sqlalchemy.org/en/21/core/pooling.html
            "pool_size": config["DB_POOL_SIZE"],
            "max_overflow": 0,
            "pool_timeout": config["DB_POOL_TIMEOUT"],  # not reached: FifoWait comes first
            # Below the 4 min after which cloud NATs and load balancers drop idle flows.
            "pool_recycle": 180,
            "pool_use_lifo": True,
            # One SELECT per request: no transaction on the server, nothing to roll back.
            "isolation_level": "AUTOCOMMIT",
            "skip_autocommit_rollback": True,
            "connect_args": connect_args(config),
        },
    )
    event.listen(db.engine, "checkin", mark_pooled)
    if config["DB_SSL"].get("ssl_mode") == "REQUIRED":
        event.listen(db.engine, "connect", refuse_plain_text)
    app.extensions[EXTENSION] = db
    app.extensions[WAIT] = FifoWait(config["DB_POOL_SIZE"], config["DB_POOL_TIMEOUT"])
    app.teardown_appcontext(close_db)


def mark_pooled(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info[POOLED] = True


def refuse_plain_text(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    """MariaDB Connector/C takes ssl_mode=REQUIRED as "TLS if the server offers it"
    (PyMySQL/mysqlclient#474): refuse a session the server left unencrypted."""
    cursor = dbapi_connection.cursor()
    cursor.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
    (_, cipher) = cursor.fetchone()
    cursor.close()
    if not cipher:
        raise MySQLdb.OperationalError(2026, "TLS required, but the server has none")


def connect_args(config: Mapping[str, Any]) -> dict[str, Any]:
    """mysqlclient's connect() arguments: timeouts, TLS, character set, UTC session.

    https://mysqlclient.readthedocs.io/user_guide.html#functions-and-attributes
    The C client counts whole seconds: round up, never down to 0 ("wait forever").
    """
    return {
        "connect_timeout": math.ceil(config["DB_CONNECT_TIMEOUT"]),
        "read_timeout": math.ceil(config["DB_QUERY_TIMEOUT"]),
        "write_timeout": math.ceil(config["DB_QUERY_TIMEOUT"]),
        "charset": "utf8mb4",
        "init_command": "SET time_zone = '+00:00'",  # TIMESTAMPs come out in UTC
        **config["DB_SSL"],
    }


def get_db() -> dataset.Database:
    """The worker's Database, with a connection held for this request (waits its turn)."""
    if "db" not in g:
        wait: FifoWait = current_app.extensions[WAIT]
        wait.acquire()
        g.db_wait = wait
        g.db = current_app.extensions[EXTENSION]
        begin(g.db)
    db: dataset.Database = g.db
    return db


def begin(db: dataset.Database) -> None:
    # dataset checks a connection out while it holds one lock for the whole database
    # (Database.executable): a connection that had to be opened there would hold up every
    # other request for a handshake. Opened here first, it is the one dataset takes (LIFO).
    if db.engine is not None:
        db.engine.connect().close()
    db.begin()  # checks this thread's (greenlet's) connection out of the pool
    g.db_transaction = db


def end() -> None:
    """Ends the request's transaction, which hands its connection back to the pool.

    The request only reads: a rollback, which sends nothing in autocommit mode.
    """
    db: dataset.Database | None = g.pop("db_transaction", None)
    if db is not None:
        db.rollback()


def close_db(error: BaseException | None = None) -> None:
    """At the end of the app context: the connection, then the place in line, given back."""
    g.pop("db", None)
    try:
        end()
    finally:
        wait: FifoWait | None = g.pop("db_wait", None)
        if wait is not None:
            wait.release()


def fetch_all(statement: TextClause, **params: Any) -> list[Mapping[str, Any]]:
    """Every row, as dicts; a dead pooled connection is replaced and the statement run again.

    A read in autocommit mode is safe to repeat; one that timed out is not repeated (a slow
    database would only be waited for twice). mysqlclient reports both as a lost connection
    (2013), so the time taken tells them apart.
    https://docs.sqlalchemy.org/en/21/faq/connections.html#how-do-i-retry-a-statement-execution-automatically
    """
    db = get_db()
    pooled = db.executable.connection.info.get(POOLED, False)
    started = time.monotonic()
    try:
        return list(db.query(statement, **params))
    except DBAPIError as error:
        elapsed = time.monotonic() - started
        if not (pooled and error.connection_invalidated):
            raise
        if elapsed >= 0.9 * math.ceil(current_app.config["DB_QUERY_TIMEOUT"]):
            raise
        end()  # SQLAlchemy has discarded it, and every older one of the pool
        begin(db)
    return list(db.query(statement, **params))


def find_by_name(name: str) -> list[Mapping[str, Any]]:
    """The rows named ``name``, in id order."""
    return fetch_all(LOOKUP, name=name)


def fill(app: Flask) -> None:
    """Open the pool's connections at once, waiting at most DB_CONNECT_TIMEOUT for them.

    Whatever the outcome the worker serves: late connections join the pool when open,
    missing ones are opened when a request needs one. Each connect holds a place of the
    wait, so a request waiting for one has it as soon as a connect ends.
    """
    engine, wait = app.extensions[EXTENSION].engine, app.extensions[WAIT]
    size, timeout = app.config["DB_POOL_SIZE"], app.config["DB_CONNECT_TIMEOUT"]
    lock = threading.Lock()
    opened: list[Any] = []  # held until all are open, so that each is a new one
    failures: list[BaseException] = []
    late = False

    def open_one() -> None:
        try:
            connection = engine.connect()
        except SQLAlchemyError as error:
            failures.append(error.orig if isinstance(error, DBAPIError) and error.orig else error)
            wait.release()
            return
        with lock:
            if not late:
                opened.append(connection)
                return
        connection.close()  # opened after the deadline: straight into the pool
        wait.release()

    started = time.monotonic()
    for _ in range(size):
        wait.acquire()
    threads = [threading.Thread(target=open_one, daemon=True) for _ in range(size)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, started + timeout - time.monotonic()))
    with lock:
        late = True
    count, seconds = len(opened), time.monotonic() - started
    for connection in opened:
        connection.close()  # into the pool
        wait.release()
    message = f"database pool: opened {count} of {size} connections in {seconds:.2f} s"
    if count == size:
        app.logger.info(message)
        return
    first = failures[0] if failures else PoolTimeout(f"not open within {timeout} s")
    cause = f"{type(first).__name__}: {' '.join(str(first).split())}"
    app.logger.warning("%s; %d failed: %s", message, size - count, cause)


def close(app: Flask) -> None:
    """Close every pooled connection (the worker is exiting)."""
    app.extensions[EXTENSION].close()
