"""Read-only queries on the pool: retried once when a pooled connection turns out dead.

A pooled connection can be dead when a request takes it: the server restarted, KILLed it, or
dropped it after ``wait_timeout``. Nothing tells until a query fails on it. A read-only query
in autocommit mode is safe to run again, so ``read()`` does that once, on a fresh connection
(the pool is invalidated first, so every connection opened before the dead one is replaced
too), as SQLAlchemy's FAQ does for the Flask service:
https://docs.sqlalchemy.org/en/21/faq/connections.html#how-do-i-retry-a-statement-execution-automatically

A query that timed out is never run again: that would double the wait on a database that is
only slow. mysqlclient reports both as "lost connection" (2013); the time it took tells them
apart.
"""

import time
from collections.abc import Callable

import MySQLdb
from django.db import DEFAULT_DB_ALIAS, Error, InterfaceError, OperationalError, connections

from config.db.base import DatabaseWrapper

# The codes for a connection the server closed: server gone away, lost connection, MySQL 8's
# "disconnected by the server because of inactivity" and MariaDB's "connection was killed"
# (the set SQLAlchemy's MySQL dialect counts as disconnects).
# https://mariadb.com/kb/en/mariadb-error-codes/
# https://dev.mysql.com/doc/mysql-errors/8.4/en/client-error-reference.html
DEAD_CONNECTION_CODES = frozenset({1927, 2006, 2013, 4031})


def read[T](query: Callable[[], T], using: str = DEFAULT_DB_ALIAS) -> T:
    """``query()``'s result; its connection goes back to the pool as soon as it returns.

    ``query`` must only read (it may run twice). Its connection is handed back now rather
    than when Django closes it at the request's end, after the response is written: a
    connection is then held for a query's round trip.
    """
    connection = connections[using]
    assert isinstance(connection, DatabaseWrapper)
    try:
        connection.ensure_connection()
        pooled = not connection.new_session
        started = time.monotonic()
        try:
            return query()
        except Error as error:
            if not (pooled and is_dead(error, time.monotonic() - started, connection)):
                raise
        # Broken: discarded, never returned to the pool (errors_occurred is set), and with it
        # every connection opened before it.
        connection.invalidate_pool()
        connection.close()
        return query()
    finally:
        connection.close()


def is_dead(error: Error, elapsed: float, connection: DatabaseWrapper) -> bool:
    """Whether ``error`` says the server closed the connection, not that the query timed out."""
    if isinstance(error, InterfaceError):  # the driver's own "connection closed" error
        return True
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    code = cause.args[0] if isinstance(cause, MySQLdb.Error) and cause.args else None
    options = connection.settings_dict["OPTIONS"]
    query_timeout = min(options.get("read_timeout", 0), options.get("write_timeout", 0))
    # A timeout fires when its full time has passed; anything well before that is the server.
    return code in DEAD_CONNECTION_CODES and elapsed < 0.9 * query_timeout
