"""The database: one bounded pool per worker, a first-come-first-served wait, one retry.

``get_db()`` and ``close_db()`` follow the Flask tutorial:
https://flask.palletsprojects.com/en/stable/tutorial/database/
"""

from __future__ import annotations

import math
import queue
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
LOOKUP = text(
    "SELECT id, name, create_time, update_time FROM demo_data WHERE name = :name ORDER BY id"
)
READY = text("SELECT 1 FROM demo_data LIMIT 1")
POOLED = "pooled"  # set on a connection once it has been back in the pool


class FifoWait:
    """At most ``size`` holders; the others wait in arrival order, up to ``timeout`` seconds.

    QueuePool gives a returned connection to whoever asks next, often a request just arrived
    rather than the waiter it woke: under overload most wait milliseconds and a few time out.
    Here a freed place goes to the longest waiting request.
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
    query_timeout = math.ceil(config["DB_QUERY_TIMEOUT"])  # the C client counts whole seconds
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
            # https://mysqlclient.readthedocs.io/user_guide.html#functions-and-attributes
            "connect_args": {
                "connect_timeout": math.ceil(config["DB_CONNECT_TIMEOUT"]),
                "read_timeout": query_timeout,
                "write_timeout": query_timeout,
                "charset": "utf8mb4",
                "init_command": "SET time_zone = '+00:00'",  # TIMESTAMPs come out in UTC
                **config["DB_SSL"],
            },
        },
    )
    event.listen(db.engine, "checkin", mark_pooled)
    if config["DB_SSL"]["ssl_mode"] == "REQUIRED":
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


def get_db() -> dataset.Database:
    """The app's Database, holding a connection for this request (after waiting its turn)."""
    if "db" not in g:
        current_app.extensions[WAIT].acquire()
        g.db = current_app.extensions[EXTENSION]
        check_out(g.db)
    db: dataset.Database = g.db
    return db


def check_out(db: dataset.Database) -> None:
    # dataset opens a thread's connection while it holds one lock for the whole Database:
    # opened first out here (pool_use_lifo), it is the one dataset then takes, and a slow
    # handshake holds up no other request.
    if db.engine is not None:
        db.engine.connect().close()
    # dataset 2 hands a thread's connection back to the pool only when its outermost
    # transaction ends (db.close() disposes of the engine), so each request runs in one and
    # close_db ends it with rollback(), which skip_autocommit_rollback sends nowhere; commit()
    # (and so ``with db:``) would send the server a COMMIT.
    db.begin()


def close_db(error: BaseException | None = None) -> None:
    """Hands the request's connection and its place in line back."""
    db: dataset.Database | None = g.pop("db", None)
    if db is not None:
        try:
            db.rollback()
        finally:
            current_app.extensions[WAIT].release()


def fetch_all(statement: TextClause, **params: Any) -> list[Mapping[str, Any]]:
    """Every row, as dicts; a dead pooled connection is replaced and the statement run again.

    https://docs.sqlalchemy.org/en/21/faq/connections.html#how-do-i-retry-a-statement-execution-automatically
    A read in autocommit mode is safe to repeat; one on a connection opened for this request,
    or one that timed out, is not (mysqlclient reports a timeout as a lost connection too).
    """
    db = get_db()
    pooled = db.executable.connection.info.get(POOLED, False)
    started = time.monotonic()
    try:
        return list(db.query(statement, **params))
    except DBAPIError as error:
        if not (pooled and error.connection_invalidated):
            raise
        if time.monotonic() - started >= 0.9 * math.ceil(current_app.config["DB_QUERY_TIMEOUT"]):
            raise
        db.rollback()  # SQLAlchemy has discarded it, and every older one of the pool
        check_out(db)
    return list(db.query(statement, **params))


def find_by_name(name: str) -> list[Mapping[str, Any]]:
    """The rows named ``name``, in id order."""
    return fetch_all(LOOKUP, name=name)


def fill(app: Flask) -> None:
    """Open the pool's connections at once, waiting at most DB_CONNECT_TIMEOUT for them.

    The worker serves whatever the outcome: late connections join the pool when open, missing
    ones are opened on demand. Each connect holds a place of the wait.
    """
    engine, wait = app.extensions[EXTENSION].engine, app.extensions[WAIT]
    size, timeout = app.config["DB_POOL_SIZE"], app.config["DB_CONNECT_TIMEOUT"]
    outcomes: queue.Queue[BaseException | None] = queue.Queue()
    filled = threading.Event()

    def open_one() -> None:
        try:
            with engine.connect():
                outcomes.put(None)
                filled.wait()  # held until the fill ends, so that each is a new one
        except SQLAlchemyError as error:
            outcomes.put(error.orig if isinstance(error, DBAPIError) and error.orig else error)
        finally:
            wait.release()

    started = time.monotonic()
    for _ in range(size):
        wait.acquire()
        threading.Thread(target=open_one, daemon=True).start()
    results: list[BaseException | None] = []
    try:
        while len(results) < size:
            results.append(outcomes.get(timeout=max(0, started + timeout - time.monotonic())))
    except queue.Empty:
        pass
    filled.set()
    count, seconds = results.count(None), time.monotonic() - started
    message = f"database pool: opened {count} of {size} connections in {seconds:.2f} s"
    if count == size:
        app.logger.info(message)
        return
    failures = [result for result in results if result is not None]
    first = failures[0] if failures else PoolTimeout(f"not open within {timeout} s")
    cause = f"{type(first).__name__}: {' '.join(str(first).split())}"
    app.logger.warning("%s; %d failed: %s", message, size - count, cause)


def close(app: Flask) -> None:
    """Close every pooled connection (the worker is exiting)."""
    app.extensions[EXTENSION].close()
