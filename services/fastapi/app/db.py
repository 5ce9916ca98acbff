"""The MySQL pool: `databases` over aiomysql, one per worker, bounded in size and in time.

- https://www.encode.io/databases/connections_and_transactions/ (the pool's options)
- https://aiomysql.readthedocs.io/en/stable/pool.html (what min_size/max_size become)
- https://fastapi.tiangolo.com/advanced/events/ (opened and closed by the app's lifespan)

The pool holds at most ``DB_POOL_SIZE`` connections. The lifespan opens them all before the
first request, best effort: a worker starts while MySQL is down, and the pool then opens
connections on demand. Before it hands out a pooled connection, aiomysql drops the ones the
server closed or reset: that is how the pool recovers after a restart, by itself.
aiomysql bounds only the TCP connect in time (no read or write timeout), so every wait here
runs under ``asyncio.timeout`` instead.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import datetime
from typing import Annotated, Any, TypedDict, cast

import aiomysql
import databases
from fastapi import Depends, Request

from app.config import Settings

logger = logging.getLogger(__name__)

# CONTRACT.md's statement, in the driver's own paramstyle: each request binds its own value,
# never formats it into the SQL. It runs on the pooled aiomysql connection that `databases`
# hands out (``Connection.raw_connection``): `databases`' own ``fetch_all`` would compile a
# SQLAlchemy ``text()`` on every call and wrap every row in a Record, a quarter of /demo's
# time (perf/README.md) for nothing this service uses.
LOOKUP = "SELECT id, name, create_time, update_time FROM demo_data WHERE name = %s ORDER BY id"
COLUMNS = ("id", "name", "create_time", "update_time")  # LOOKUP's, in order
PING = "SELECT 1 FROM demo_data LIMIT 1"

# "The database is unavailable": our own deadlines, socket errors, and whatever PyMySQL
# raises (aiomysql re-exports its exception classes).
ERRORS = (TimeoutError, OSError, aiomysql.MySQLError)

# Closing waits for checked-out connections to come back; at shutdown that is bounded.
CLOSE_TIMEOUT = 2.0


class DatabaseUnavailable(Exception):
    """MySQL refused, failed or did not answer in time, or no connection freed up in time."""


class Row(TypedDict):
    """One row of the lookup, as the driver returns it (TIMESTAMPs as naive UTC)."""

    id: int
    name: str
    create_time: datetime | None
    update_time: datetime | None


class Pool:
    """One worker's connection pool and the deadlines every request gets from it."""

    def __init__(self, settings: Settings) -> None:
        self.database = databases.Database(
            str(settings.DATABASE_URL),
            # No connection while creating the pool, which would fail there when MySQL is down:
            # open() fills it, best effort, and requests open connections on demand up to
            # max_size (after an outage, or when a broken connection was dropped).
            min_size=0,
            max_size=settings.DB_POOL_SIZE,
            charset="utf8mb4",
            connect_timeout=settings.DB_CONNECT_TIMEOUT,
            # TIMESTAMP columns come back in UTC whatever the server's time zone.
            init_command="SET time_zone = '+00:00'",
        )
        self.size = settings.DB_POOL_SIZE
        # First come, first served: aiomysql's pool hands a returned connection to whichever
        # task asks next, so a request arriving then overtakes the waiter that was woken for
        # it, which queues again at the back; under load a few requests wait seconds while
        # most wait milliseconds. asyncio's Semaphore serves its waiters in order (no new
        # caller takes a slot while one waits): with as many slots as connections, every
        # request waits its turn here and the pool itself never makes anyone wait.
        self.turns = asyncio.Semaphore(self.size)
        self.pool_timeout = settings.DB_POOL_TIMEOUT
        self.query_timeout = settings.DB_QUERY_TIMEOUT

    async def open(self) -> None:
        """Create the pool and fill it, best effort: the worker starts even if MySQL is down."""
        await self.database.connect()  # with min_size=0 this opens no connection
        try:
            await self._fill()
        except DatabaseUnavailable as error:
            logger.warning(
                "could not fill the database pool at startup (%s); it opens connections on demand",
                describe(error),
            )

    async def _fill(self) -> None:
        """Open all the pool's connections at once, each held until every one is open.

        aiomysql opens connections one at a time, holding the pool's lock, and a request that
        returns a connection waits for that lock too: opened here, before the first requests,
        the connections cost them nothing. Each attempt is bounded like any wait for a
        connection; a failed one leaves the others in the pool.
        """
        # One moment at which every holder gives up: no later than a request waits for a
        # connection or for a query.
        deadline = asyncio.get_running_loop().time() + min(self.pool_timeout, self.query_timeout)
        all_open = asyncio.Barrier(self.size)

        async def hold_one() -> None:
            try:
                # The deadline bounds the handshake too (aiomysql bounds only the TCP connect).
                # A connection that opened goes back to the pool whatever the others did.
                async with asyncio.timeout_at(deadline), self.database.connection():
                    with suppress(asyncio.BrokenBarrierError):
                        await all_open.wait()
            except ERRORS as error:
                await all_open.abort()  # the pool will not fill now: stop waiting for it
                raise DatabaseUnavailable from error

        # Not a TaskGroup: its first failure would cancel the others, closing their connections.
        holders = (hold_one() for _ in range(self.size))
        results = await asyncio.gather(*holders, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def close(self) -> None:
        """Close every connection; requests still holding one get at most CLOSE_TIMEOUT."""
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self.database.disconnect()
        except TimeoutError:
            logger.warning("closing the database pool timed out; the process exit closes it")

    async def fetch_all(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Every row of ``sql`` with ``args`` bound, on a pooled connection, within deadlines.

        ``DB_POOL_TIMEOUT`` to get a connection, then ``DB_QUERY_TIMEOUT`` to use it; every
        failure becomes ``DatabaseUnavailable``. A connection whose query fails or is
        interrupted (a deadline, a lost socket, a cancelled request) is closed rather than
        pooled, since its reply may be half read; the pool opens a fresh one when it needs it.
        (One coroutine, not a generator-based context manager around the connection: that
        cost 5% of /demo's time, perf/README.md.)
        """
        loop = asyncio.get_running_loop()
        try:
            # Getting a connection may mean opening one, and aiomysql bounds only its TCP
            # connect: this deadline also covers a server stalled mid-handshake.
            async with asyncio.timeout(self.pool_timeout) as deadline:
                async with self.turns, self.database.connection() as connection:
                    deadline.reschedule(loop.time() + self.query_timeout)
                    try:
                        async with connection.raw_connection.cursor() as cursor:
                            await cursor.execute(sql, args)
                            rows: list[tuple[Any, ...]] = await cursor.fetchall()
                    except BaseException:
                        connection.raw_connection.close()
                        raise
        except ERRORS as error:
            raise DatabaseUnavailable from error
        return rows

    async def lookup(self, name: str) -> list[Row]:
        """The contract's lookup: the rows named ``name``, in id order."""
        rows = await self.fetch_all(LOOKUP, name)
        return [cast(Row, dict(zip(COLUMNS, row, strict=True))) for row in rows]

    async def ping(self) -> None:
        """Readiness: the table answers through the pool, within the pool's deadlines."""
        await self.fetch_all(PING)


def describe(error: BaseException) -> str:
    """What made the database unavailable, in one line for the log (never a traceback)."""
    cause = error.__cause__ or error
    return f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__


async def get_pool(request: Request) -> Pool:
    """The worker's pool, from the lifespan state (``async``: no thread-pool hop)."""
    return cast(Pool, request.state.pool)


PoolDep = Annotated[Pool, Depends(get_pool)]
