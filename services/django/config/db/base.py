"""Django's MySQL backend with a bounded connection pool per process.

Django pools connections for PostgreSQL only; its MySQL backend opens a connection per
request (or keeps one per thread with CONN_MAX_AGE, which under gevent means one per
greenlet, unbounded). This backend keeps Django's MySQL backend and changes only where a
connection comes from and where it goes: ``connect()`` takes one from the pool, ``close()``
(at the end of every request, as CONN_MAX_AGE = 0 makes it) gives it back. Configured like
Django's PostgreSQL pool:

    "ENGINE": "config.db",
    "CONN_MAX_AGE": 0,
    "OPTIONS": {"pool": {"max_size": 10, "timeout": 5, "max_lifetime": 180,
                         "open_timeout": 2}, ...},

https://docs.djangoproject.com/en/6.1/ref/databases/#subclassing-the-built-in-database-backends
https://docs.djangoproject.com/en/6.1/ref/databases/#connection-pool (PostgreSQL's)
https://docs.djangoproject.com/en/6.1/ref/databases/#connection-management
"""

import functools
import logging
import threading
import time
from typing import Any, ClassVar

import MySQLdb
from django.core.exceptions import ImproperlyConfigured
from django.db import Error
from django.db.backends.mysql import base as mysql
from django.utils.asyncio import async_unsafe
from MySQLdb.connections import Connection

from config.db.pool import ConnectionPool, PoolTimeout
from config.logs import one_line

logger = logging.getLogger(__name__)


class DatabaseWrapper(mysql.DatabaseWrapper):
    # One pool per database alias and process; every request's wrapper draws from it.
    _pools: ClassVar[dict[str, ConnectionPool[Connection]]] = {}
    # The pool the current connection came from (close_pool() may have replaced it since).
    _lender: ConnectionPool[Connection] | None = None
    # Whether the current connection is a new server session that still needs Django's
    # session setup (SQL_AUTO_IS_NULL, isolation level), rather than a pooled one that has it.
    new_session = False

    @property
    def pool(self) -> ConnectionPool[Connection]:
        pool = self._pools.get(self.alias)
        if pool is None:
            if self.settings_dict["CONN_MAX_AGE"] != 0:
                raise ImproperlyConfigured("The pooled MySQL backend needs CONN_MAX_AGE = 0.")
            options = self.pool_options
            pool = ConnectionPool(
                functools.partial(MySQLdb.connect, **self.get_connection_params()),
                max_size=options.get("max_size", 10),
                timeout=options.get("timeout", 5.0),
                max_lifetime=options.get("max_lifetime", 180.0),
            )
            pool = self._pools.setdefault(self.alias, pool)
        return pool

    @property
    def pool_options(self) -> dict[str, Any]:
        options: dict[str, Any] = self.settings_dict["OPTIONS"].get("pool", {})
        return options

    def open_pool(self) -> None:
        """Open the pool's connections now, all at once, waiting at most ``open_timeout`` s.

        Called when a worker starts, so the first requests find connections ready. Whatever
        the outcome the worker goes on: connections still opening join the pool when they are
        open, and missing ones are opened when a request needs one.
        """
        size = self.pool.max_size
        timeout = self.pool_options.get("open_timeout", 2.0)
        failures: list[Error] = []

        def open_one() -> None:
            session = self.copy()  # a wrapper of this thread's own, as Django requires
            try:
                session.ensure_connection()
            except Error as error:
                failures.append(error)
            finally:
                session.close()  # back to the pool

        threads = [threading.Thread(target=open_one, daemon=True) for _ in range(size)]
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        pending = sum(thread.is_alive() for thread in threads)
        if failures or pending:
            cause = f": {one_line(failures[0])}" if failures else ""
            logger.warning(
                "Pool fill: %d of %d connections failed, %d still opening after %s s; "
                "connecting on demand%s",
                len(failures),
                size,
                pending,
                timeout,
                cause,
            )

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
            connection, self.new_session = pool.acquire()
        except PoolTimeout as error:
            # A driver error, so that Django raises it as django.db.OperationalError.
            raise MySQLdb.OperationalError(str(error)) from error
        self._lender = pool
        return connection

    def init_connection_state(self) -> None:
        # Django runs this on every connect(); a pooled session keeps what it set.
        if self.new_session:
            super().init_connection_state()

    def invalidate_pool(self) -> None:
        """A connection turned out dead: replace every one opened before it at checkout."""
        self.pool.invalidate()

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
