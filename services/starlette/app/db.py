"""The MySQL pool: `databases` over aiomysql, one per worker, bounded in size and in time.

- https://www.encode.io/databases/connections_and_transactions/ (the pool's options)
- https://www.encode.io/databases/database_queries/ (raw SQL with bound values)
- https://aiomysql.readthedocs.io/en/stable/pool.html (what the options become)

The lifespan opens every connection before the first request, best effort; a worker starts
while MySQL is down, and the pool opens connections at checkout. Why each deadline, the turns
and the retry exist: README.md, "The pool".
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import datetime
from typing import Any

import aiomysql
import databases
from databases.interfaces import Record
from pymysql.constants import FIELD_TYPE
from pymysql.converters import conversions, convert_datetime

from app import settings

logger = logging.getLogger(__name__)

# The contract's statement, with the name bound as a value, never formatted into the SQL.
LOOKUP = "SELECT id, name, create_time, update_time FROM demo_data WHERE name = :name ORDER BY id"
PING = "SELECT 1 FROM demo_data LIMIT 1"

# Seconds: a pooled connection unused for longer is closed and replaced at checkout, before a
# load balancer or NAT drops it silently (their idle limits start at about 4 minutes).
POOL_RECYCLE = 180

# "The database is unavailable": our deadlines, socket errors, and whatever PyMySQL raises
# (aiomysql re-exports its exception classes).
ERRORS = (TimeoutError, OSError, aiomysql.MySQLError)

# The server closed the connection: MariaDB's "connection was killed", the client's "server
# has gone away" and "lost connection", MySQL 8's inactivity disconnect.
DEAD_CONNECTION = frozenset({1927, 2006, 2013, 4031})


def timestamp_or_none(value: str | bytes) -> datetime | None:
    """A TIMESTAMP column's value; a zero date (0000-00-00 00:00:00, which MariaDB and MySQL
    without NO_ZERO_DATE store) as None, the null mysqlclient reads it as. PyMySQL returns a
    value it cannot read as its text, which would leave the contract's format."""
    parsed = convert_datetime(value)
    return parsed if isinstance(parsed, datetime) else None


# PyMySQL's conversions (aiomysql's `conv` option), but for TIMESTAMP.
CONVERSIONS = {**conversions, FIELD_TYPE.TIMESTAMP: timestamp_or_none}

# Closing waits for checked-out connections to come back; at shutdown that is bounded.
CLOSE_TIMEOUT = 2.0


class DatabaseUnavailable(Exception):
    """MySQL refused, failed or did not answer in time: the message says which, in one line."""


class Pool:
    """One worker's `databases.Database`, and the contract's policy around its queries."""

    def __init__(self) -> None:
        self.database = databases.Database(
            settings.DATABASE_URL,
            # No connection while creating the pool, which would fail there when MySQL is
            # down: open() fills it, and checkouts open what is missing, up to max_size.
            min_size=0,
            max_size=settings.DB_POOL_SIZE,
            pool_recycle=POOL_RECYCLE,
            # aiomysql's connect_timeout bounds the TCP connect only; fetch_all's deadline
            # bounds the handshake too.
            connect_timeout=settings.DB_CONNECT_TIMEOUT,
            charset="utf8mb4",
            # TIMESTAMP columns come back in UTC whatever the server's time zone.
            init_command="SET time_zone = '+00:00'",
            conv=CONVERSIONS,
        )
        self.size = settings.DB_POOL_SIZE
        # First come, first served: asyncio's Semaphore serves its waiters in order, and with
        # one turn per connection the pool itself never has a waiter (README.md).
        self.turns = asyncio.Semaphore(self.size)
        self.pool_timeout = settings.DB_POOL_TIMEOUT
        self.connect_timeout = settings.DB_CONNECT_TIMEOUT
        self.query_timeout = settings.DB_QUERY_TIMEOUT

    async def open(self) -> None:
        """Create the pool and fill it, best effort: the worker starts even if MySQL is down."""
        await self.database.connect()  # with min_size=0 this opens no connection
        await self._fill()

    async def _fill(self) -> None:
        """Ask for every connection at once, each held until all are open or one failed.

        The whole fill gets DB_CONNECT_TIMEOUT; what is missing then opens at checkout.
        """
        opened = 0
        failures: list[BaseException] = []
        all_open = asyncio.Barrier(self.size)

        async def hold_one() -> None:
            nonlocal opened
            try:
                async with self.database.connection():
                    opened += 1
                    with suppress(asyncio.BrokenBarrierError):
                        await all_open.wait()
            except ERRORS as error:
                failures.append(error)
                await all_open.abort()  # the pool will not fill now: stop waiting for it

        try:
            async with asyncio.timeout(self.connect_timeout), asyncio.TaskGroup() as group:
                for _ in range(self.size):
                    group.create_task(hold_one())
        except TimeoutError:
            failures.append(TimeoutError(f"DB_CONNECT_TIMEOUT ({self.connect_timeout} s) passed"))
        if opened == self.size:
            logger.info("database pool open: %d connections", opened)
        else:
            reason = describe(failures[0]) if failures else "unknown"
            logger.warning(
                "database pool: %d of %d connections opened at startup (%s); "
                "the others open on demand",
                opened,
                self.size,
                reason,
            )

    async def close(self) -> None:
        """Close every connection; requests still holding one get at most CLOSE_TIMEOUT."""
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self.database.disconnect()
        except TimeoutError:
            logger.warning("closing the database pool timed out; the process exit closes it")

    async def fetch_all(self, query: str, values: dict[str, Any] | None = None) -> list[Record]:
        """Every row of ``query``, within the pool's deadlines; a dead connection retried once.

        DB_POOL_TIMEOUT to get a turn, DB_CONNECT_TIMEOUT for the checkout (which opens a
        connection when none is free), then DB_QUERY_TIMEOUT for the query, and for the one
        retry when the server had closed the pooled connection. Any failure is
        ``DatabaseUnavailable``.
        """
        loop = asyncio.get_running_loop()
        waiting = "for a turn (DB_POOL_TIMEOUT)"
        retried = False
        try:
            async with asyncio.timeout(self.pool_timeout) as deadline, self.turns:
                waiting = "for a connection (DB_CONNECT_TIMEOUT)"
                deadline.reschedule(loop.time() + self.connect_timeout)
                query_end = 0.0
                while True:
                    async with self.database.connection() as connection:
                        waiting = "for the query (DB_QUERY_TIMEOUT)"
                        query_end = query_end or loop.time() + self.query_timeout
                        deadline.reschedule(query_end)
                        try:
                            return await connection.fetch_all(query, values)
                        except ERRORS as error:
                            if retried or not dead_connection(error):
                                raise
                            connection.raw_connection.close()  # never back to the pool
                    retried = True
                    waiting = "for the retry (DB_QUERY_TIMEOUT)"
                    deadline.reschedule(min(loop.time() + self.connect_timeout, query_end))
        except TimeoutError as error:
            raise DatabaseUnavailable(f"TimeoutError: no answer waiting {waiting}") from error
        except ERRORS as error:
            raise DatabaseUnavailable(describe(error)) from error

    async def lookup(self, name: str) -> list[dict[str, Any]]:
        """The contract's lookup: the rows named ``name``, in id order, as dicts."""
        return [dict(row._mapping) for row in await self.fetch_all(LOOKUP, {"name": name})]

    async def ping(self) -> None:
        """Readiness: the table answers through the pool, within the pool's deadlines."""
        await self.fetch_all(PING)


def dead_connection(error: BaseException) -> bool:
    """Whether the server had closed the connection (so a read-only retry is safe)."""
    if isinstance(error, aiomysql.InterfaceError):  # aiomysql's "Not connected"
        return True
    return (
        isinstance(error, aiomysql.MySQLError)
        and bool(error.args)
        and (error.args[0] in DEAD_CONNECTION)
    )


def describe(error: BaseException) -> str:
    """The error class, the driver's code and message, and their cause, in one line."""
    if isinstance(error, aiomysql.MySQLError) and len(error.args) == 2:
        text = f"{type(error).__name__} {error.args[0]}: {error.args[1]}"
    else:
        text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if error.__cause__ is not None:
        text += f" ({describe(error.__cause__)})"
    return " ".join(text.split())
