"""The MySQL pool: `databases` over aiomysql, opened by the lifespan, bounded in size and time.

- https://www.encode.io/databases/connections_and_transactions/ (pool options, raw connections)
- https://aiomysql.readthedocs.io/en/stable/pool.html (what ``min_size``/``max_size`` become)

The pool holds at most ``DB_POOL_SIZE`` connections. The lifespan opens them all before the
worker serves, but a failure there is only logged: the process starts while MySQL is down,
and the pool (re)opens connections on demand. aiomysql drops pooled connections the server has
closed before it hands them out, which is how the pool recovers after a restart. aiomysql has
no read timeout, so every wait here runs under ``asyncio.timeout``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiomysql
import databases

from app import settings

logger = logging.getLogger(__name__)

# CONTRACT.md's statement, in the driver's own paramstyle (the name is a parameter, never
# formatted into the SQL). It runs on the pooled aiomysql connection that `databases` hands out
# (``Connection.raw_connection``): `databases`' own ``fetch_all`` would compile a SQLAlchemy
# ``text()`` on every call and wrap every row in a Record, a quarter of /demo's time
# (perf/README.md) for nothing this service uses.
LOOKUP = "SELECT id, name, create_time, update_time FROM demo_data WHERE name = %s ORDER BY id"
COLUMNS = ("id", "name", "create_time", "update_time")  # LOOKUP's, in order
PING = "SELECT 1 FROM demo_data LIMIT 1"

# What "the database is unavailable" looks like from here: our own timeouts, socket errors
# and everything PyMySQL raises (aiomysql re-exports its exception classes).
ERRORS = (TimeoutError, OSError, aiomysql.MySQLError)

# Closing waits for checked-out connections; a request cancelled at shutdown may never wake
# aiomysql's wait_closed(), so shutdown waits this long at most and leaves the rest to exit.
CLOSE_TIMEOUT = 2.0


class DatabaseUnavailable(Exception):
    """MySQL did not answer in time, refused, or no pooled connection freed up in time."""


def create_database() -> databases.Database:
    """The pool's configuration; nothing connects until ``Database.connect()``."""
    return databases.Database(
        settings.DATABASE_URL,
        # Open connections on demand: with min_size > 0 aiomysql connects when the pool is
        # created and fails there while MySQL is down.
        min_size=0,
        max_size=settings.DB_POOL_SIZE,
        charset="utf8mb4",
        connect_timeout=settings.DB_CONNECT_TIMEOUT,
        # TIMESTAMP columns come back in UTC whatever the server's time zone.
        init_command="SET time_zone = '+00:00'",
    )


@dataclass(frozen=True)
class Pool:
    """The process's pooled connections, and the turns requests take to use them.

    First come, first served: aiomysql's pool hands a returned connection to whichever task
    asks next, so a request arriving then overtakes the waiter that was woken for it, which
    queues again at the back; under load a few requests wait seconds while most wait
    milliseconds. asyncio's Semaphore serves its waiters in order (no new caller takes a slot
    while one waits): with as many slots as connections, every request waits its turn there
    and the pool itself never makes anyone wait.
    """

    database: databases.Database
    turns: asyncio.Semaphore


@asynccontextmanager
async def pool() -> AsyncIterator[Pool]:
    """The process's pool, for the lifespan: opened before serving, closed after."""
    database = create_database()
    await database.connect()  # creates the pool; with min_size=0 it opens no connection yet
    try:
        await _open_all(database)
        yield Pool(database, asyncio.Semaphore(settings.DB_POOL_SIZE))
    finally:
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await database.disconnect()
        except TimeoutError:
            logger.warning("closing the database pool timed out; the process exit closes it")


async def _open_all(database: databases.Database) -> None:
    """Open all ``DB_POOL_SIZE`` connections before serving, best effort: never stops startup.

    A fixed-size pool, opened up front: aiomysql opens connections one at a time under its pool
    lock, so a pool left to grow under a burst makes every waiting request queue behind each
    connect's round trips. `databases` gives each task one connection, so each is opened (and
    held until all are) by its own task; ``min_size=0`` keeps them pooled afterwards.
    """
    size = settings.DB_POOL_SIZE
    opened = 0
    all_open = asyncio.Event()

    async def hold_one() -> None:
        nonlocal opened
        async with database.connection():
            opened += 1
            if opened == size:
                all_open.set()
            await all_open.wait()

    tasks = [asyncio.create_task(hold_one()) for _ in range(size)]
    try:
        # Bounded like a request's wait; a refused connect ends it at once.
        await asyncio.wait(
            tasks, timeout=settings.DB_POOL_TIMEOUT, return_when=asyncio.FIRST_EXCEPTION
        )
    finally:
        all_open.set()  # the holders give their connections back to the pool
        for task in tasks:
            task.cancel()  # those still connecting (aiomysql closes a cancelled connect)
        results = await asyncio.gather(*tasks, return_exceptions=True)
    errors = [r for r in results if isinstance(r, Exception)]
    if opened < size:
        logger.warning(
            "database unavailable at startup (%d of %d connections opened, %r); "
            "/readyz answers 503 until it is back",
            opened,
            size,
            errors[0] if errors else TimeoutError(),
        )
    else:
        logger.info("database pool open: %d connections", opened)


async def fetch_all(pool: Pool, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every row of ``sql``, on a pooled connection, within the pool's deadlines.

    At most ``DB_POOL_TIMEOUT`` to get a turn and a connection, then ``DB_QUERY_TIMEOUT`` to use
    it; any failure becomes ``DatabaseUnavailable``. A connection whose query was interrupted (a
    timeout, a cancelled request, a lost socket) is closed, not pooled: its reply may be half
    read. The pool then opens a fresh one when it needs it. (One coroutine rather than a context
    manager around the connection: a generator-based one cost 5% of /demo's time,
    perf/README.md.)
    """
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(settings.DB_POOL_TIMEOUT) as deadline:
            # Waiting for a free connection includes opening one, which aiomysql bounds only
            # up to the TCP connect: this deadline also covers a server stalled mid-handshake.
            async with pool.turns, pool.database.connection() as conn:
                deadline.reschedule(loop.time() + settings.DB_QUERY_TIMEOUT)
                try:
                    async with conn.raw_connection.cursor() as cursor:
                        await cursor.execute(sql, args)
                        rows: list[tuple[Any, ...]] = await cursor.fetchall()
                except BaseException:
                    conn.raw_connection.close()
                    raise
    except ERRORS as error:
        raise DatabaseUnavailable from error
    return rows


async def find_by_name(pool: Pool, name: str) -> list[dict[str, Any]]:
    """The contract's lookup: rows as dicts with id, name, create_time, update_time."""
    rows = await fetch_all(pool, LOOKUP, (name,))
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


async def ping(pool: Pool) -> None:
    """The readiness check: the table answers through the pool, within the pool's timeouts."""
    await fetch_all(pool, PING)
