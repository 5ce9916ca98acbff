"""Django's MySQL backend with a bounded connection pool per process.

Django pools connections for PostgreSQL only; its MySQL backend opens a connection per
request (or keeps one per thread with CONN_MAX_AGE, which under gevent means one per
greenlet, unbounded). This backend keeps Django's MySQL backend and changes only where a
connection comes from and where it goes: ``connect()`` takes one from the pool, ``close()``
(at the end of every request, as CONN_MAX_AGE = 0 makes it) gives it back. Configured like
Django's PostgreSQL pool:

    "ENGINE": "config.db",
    "CONN_MAX_AGE": 0,
    "OPTIONS": {"pool": {"max_size": 10, "timeout": 5}, ...},

https://docs.djangoproject.com/en/6.1/ref/databases/#subclassing-the-built-in-database-backends
https://docs.djangoproject.com/en/6.1/ref/databases/#connection-pool (PostgreSQL's)
https://docs.djangoproject.com/en/6.1/ref/databases/#connection-management
"""

import functools
import logging
import os
import select
from typing import Any, ClassVar

import MySQLdb
from django.core.exceptions import ImproperlyConfigured
from django.db import Error
from django.db.backends.mysql import base as mysql
from django.utils.asyncio import async_unsafe
from gevent.monkey import get_original
from MySQLdb.connections import Connection

from config.db.pool import ConnectionPool, ConnectTimeout, PoolTimeout

logger = logging.getLogger(__name__)

# The real poll(): gevent's patched one only reports readiness after a turn of its loop.
_poll = get_original("select", "poll")


def _connect(params: dict[str, Any]) -> Connection:
    """``MySQLdb.connect()``, leaving the socket non-blocking.

    libmariadb puts its socket back in blocking mode once connected and reads with
    MSG_DONTWAIT, then waits in poll() with read_timeout/write_timeout. On a blocking socket,
    greenify's recv()/send() hooks do the waiting themselves, with no timeout at all; on a
    non-blocking one they step aside, and libmariadb's poll(), which greenify makes
    cooperative, keeps the timeouts. (The handshake inside connect() is still exposed: the
    pool bounds it, see pool.py.)
    """
    connection = MySQLdb.connect(**params)
    os.set_blocking(connection.fileno(), False)  # type: ignore[no-untyped-call]
    return connection


def _is_open(connection: Connection) -> bool:
    """Whether an idle connection is still open, without a round trip.

    An idle MySQL connection has nothing to read: anything readable means the server hung up
    (restart, wait_timeout, KILL) or sent its last error packet before doing so.
    """
    try:
        fd = connection.fileno()  # type: ignore[no-untyped-call]
    except MySQLdb.Error:
        return False
    poller = _poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return not poller.poll(0)


class DatabaseWrapper(mysql.DatabaseWrapper):
    # One pool per database alias and process; every request's wrapper draws from it.
    _pools: ClassVar[dict[str, ConnectionPool[Connection]]] = {}
    # The pool the current connection came from (close_pool() may have replaced it since).
    _lender: ConnectionPool[Connection] | None = None
    # Whether the current connection is a new server session that still needs Django's
    # session setup (SQL_AUTO_IS_NULL, isolation level), rather than a pooled one that has it.
    _new_session = False

    @property
    def pool(self) -> ConnectionPool[Connection]:
        pool = self._pools.get(self.alias)
        if pool is None:
            if self.settings_dict["CONN_MAX_AGE"] != 0:
                raise ImproperlyConfigured("The pooled MySQL backend needs CONN_MAX_AGE = 0.")
            options = self.settings_dict["OPTIONS"]
            pool = ConnectionPool(
                functools.partial(_connect, self.get_connection_params()),
                _is_open,
                max_size=options.get("pool", {}).get("max_size", 10),
                timeout=options.get("pool", {}).get("timeout", 5.0),
                connect_timeout=options.get("connect_timeout", 10),
            )
            pool = self._pools.setdefault(self.alias, pool)
        return pool

    def open_pool(self) -> None:
        """Open the pool's connections now, as many as the database lets us.

        Called when a worker starts, so the first requests find connections ready. A database
        that is down is no reason to fail: the pool then connects on demand.
        """
        sessions = []
        try:
            for _ in range(self.pool.max_size):
                session = self.copy()
                sessions.append(session)
                session.ensure_connection()
        except Error as error:
            logger.warning("Database unavailable at start (%s); connecting on demand.", error)
        finally:
            for session in sessions:
                session.close()

    def close_pool(self) -> None:
        """Close the pool: idle connections now, busy ones when they are given back."""
        pool = self._pools.pop(self.alias, None)
        if pool is not None:
            pool.close()

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        params.pop("pool", None)  # ours, not a MySQLdb.connect() argument
        return params

    @async_unsafe
    def get_new_connection(self, conn_params: dict[str, Any]) -> Connection:
        pool = self.pool
        try:
            connection, self._new_session = pool.acquire()
        except (PoolTimeout, ConnectTimeout) as error:
            # A driver error, so that Django raises it as django.db.OperationalError.
            raise MySQLdb.OperationalError(str(error)) from error
        self._lender = pool
        return connection

    def init_connection_state(self) -> None:
        # Django runs this on every connect(); a pooled session keeps what it set.
        if self._new_session:
            super().init_connection_state()

    def _close(self) -> None:
        # Instead of closing the connection, give it back to the pool it came from.
        connection, pool = self.connection, self._lender
        if connection is None or pool is None:  # get_new_connection() sets both
            return
        self.connection = self._lender = None
        # Reuse only a connection in a known state: no error Django could not vouch for
        # (close_if_unusable_or_obsolete() pings after errors), no open transaction.
        reusable = not self.errors_occurred and not self.in_atomic_block and self.autocommit
        pool.release(connection, reusable=reusable)
