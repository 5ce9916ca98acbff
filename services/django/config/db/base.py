"""Django's MySQL backend with a bounded pool per process, and ``read()``, which retries once.

Django pools connections for PostgreSQL only. Here ``connect()`` takes a connection from the
pool and ``close()`` gives it back; ``OPTIONS["pool"]`` is named as for PostgreSQL's pool.
https://docs.djangoproject.com/en/6.1/ref/databases/#subclassing-the-built-in-database-backends
"""

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar

import MySQLdb
from django.db import DEFAULT_DB_ALIAS, Error, InterfaceError, OperationalError, connections
from django.db.backends.mysql import base as mysql
from django.utils.asyncio import async_unsafe
from MySQLdb.connections import Connection

from config.db.pool import ConnectionPool, PoolTimeout
from config.logs import one_line

logger = logging.getLogger(__name__)

# The server closed the connection: gone away, lost, MySQL's "disconnected for inactivity",
# MariaDB's "connection was killed" (as SQLAlchemy's MySQL dialect counts them).
# https://dev.mysql.com/doc/mysql-errors/8.4/en/client-error-reference.html
DEAD_CONNECTION_CODES = frozenset({1927, 2006, 2013, 4031})


class DatabaseWrapper(mysql.DatabaseWrapper):
    # One pool per alias and process, shared by every thread's (greenlet's) wrapper.
    _pools: ClassVar[dict[str, ConnectionPool[Connection]]] = {}
    new_session = False  # whether the connection still needs Django's session setup

    @property
    def pool(self) -> ConnectionPool[Connection]:
        if self.alias not in self._pools:
            connect = functools.partial(MySQLdb.connect, **self.get_connection_params())
            pool = ConnectionPool(connect, **self.settings_dict["OPTIONS"]["pool"])
            self._pools.setdefault(self.alias, pool)
        return self._pools[self.alias]

    def open_pool(self, timeout: float) -> None:
        """Open every connection at once, waiting ``timeout`` s at most; log the outcome.

        Connections still opening join the pool later; missing ones open when a request needs
        one.
        """
        size = self.pool.max_size
        started = time.monotonic()
        deadline = started + timeout
        opened: list[bool] = []
        errors: list[Error] = []
        # Each connection is held until all are open, or a late thread would take it again.
        all_open = threading.Barrier(size)

        def open_one() -> None:
            session = self.copy()  # a thread's own wrapper, as Django requires
            try:
                session.ensure_connection()
                opened.append(True)
            except Error as error:
                errors.append(error)
            finally:
                with contextlib.suppress(threading.BrokenBarrierError):
                    all_open.wait(max(0.0, deadline - time.monotonic()))
                session.close()

        threads = [threading.Thread(target=open_one, daemon=True) for _ in range(size)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        done, elapsed = len(opened), time.monotonic() - started
        message = "database pool: opened %d of %d connections in %.2f s"
        if done == size:
            logger.info(message, done, size, elapsed)
        else:
            first = one_line(errors[0]) if errors else f"TimeoutError: not open after {timeout} s"
            logger.warning(f"{message}; %d failed: %s", done, size, elapsed, size - done, first)

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        params.pop("pool", None)  # ours, not MySQLdb.connect()'s
        return params

    @async_unsafe
    def get_new_connection(self, conn_params: dict[str, Any]) -> Connection:
        try:
            connection, self.new_session = self.pool.acquire()
        except PoolTimeout as error:
            raise MySQLdb.OperationalError(str(error)) from error  # Django wraps driver errors
        return connection

    def init_connection_state(self) -> None:
        if not self.new_session:  # a pooled session keeps what Django set
            return
        super().init_connection_state()
        # MariaDB Connector/C takes ssl_mode=REQUIRED as "TLS if the server offers it"
        # (PyMySQL/mysqlclient#474): refuse a session the server left unencrypted.
        if self.settings_dict["OPTIONS"].get("ssl_mode") == "REQUIRED":
            with self.cursor() as cursor:
                cursor.execute("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
                if not cursor.fetchone()[1]:
                    raise MySQLdb.OperationalError(2026, "TLS required, but the server has none")

    def _close(self) -> None:
        # Django's hook for closing: give the connection back, to be reused only in a known
        # state (no error, no open transaction).
        if self.connection is not None:
            reusable = not self.errors_occurred and not self.in_atomic_block and self.autocommit
            self.pool.release(self.connection, reusable=reusable)


def pooled(using: str = DEFAULT_DB_ALIAS) -> DatabaseWrapper:
    """This thread's (greenlet's) wrapper of the database ``using``."""
    connection = connections[using]
    assert isinstance(connection, DatabaseWrapper)
    return connection


def read[T](query: Callable[[], T], using: str = DEFAULT_DB_ALIAS) -> T:
    """``query()``, run once more on a new connection if its pooled one turns out dead.

    ``query`` must only read. Its connection goes back to the pool as soon as it returns.
    """
    connection = pooled(using)
    try:
        connection.ensure_connection()
        reused = not connection.new_session
        started = time.monotonic()
        try:
            return query()
        except Error as error:
            if not (reused and is_dead(error, time.monotonic() - started, connection)):
                raise
        # The server most likely dropped every connection: replace them all at checkout.
        connection.pool.invalidate()
        connection.close()
        return query()
    finally:
        connection.close()


def is_dead(error: Error, elapsed: float, connection: DatabaseWrapper) -> bool:
    """Whether the server closed the connection; a query that timed out is never run again."""
    if isinstance(error, InterfaceError):  # mysqlclient's "connection already closed"
        return True
    cause = error.__cause__
    code = cause.args[0] if isinstance(cause, MySQLdb.Error) and cause.args else None
    # mysqlclient reports a read timeout as a lost connection (2013), once the timeout is over.
    timeout = connection.settings_dict["OPTIONS"]["read_timeout"]
    return (
        isinstance(error, OperationalError)
        and code in DEAD_CONNECTION_CODES
        and elapsed < 0.9 * timeout
    )
