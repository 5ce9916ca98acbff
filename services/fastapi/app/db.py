"""The MySQL pool: SQLAlchemy's asyncio engine over asyncmy, one per worker process.

https://docs.sqlalchemy.org/en/20/orm/extensions/asyncio.html and
https://docs.sqlalchemy.org/en/20/core/pooling.html (recycling, disconnect handling).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any

from sqlalchemy import URL, Row, TextClause, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.config import Settings

logger = logging.getLogger(__name__)

DRIVER = "asyncmy"
# The name is bound as a value, never formatted into the SQL.
LOOKUP = text(
    "SELECT id, name, create_time, update_time FROM demo_data WHERE name = :name ORDER BY id"
)
PING = text("SELECT 1 FROM demo_data LIMIT 1")

# Seconds: a connection older than this is replaced at checkout, before a load balancer or NAT
# drops it silently (their idle limits start at about 4 minutes).
POOL_RECYCLE = 180
# The engine's execution option that fetch_all() bounds each query by.
QUERY_TIMEOUT = "query_timeout"


def create_engine(settings: Settings) -> AsyncEngine:
    mysql = settings.DATABASE_URL
    url = URL.create(
        f"mysql+{DRIVER}",
        username=mysql.user,
        password=mysql.password,
        host=mysql.host,
        port=mysql.port,
        database=mysql.database,
        query={"charset": "utf8mb4"},
    )
    return create_async_engine(
        url,
        pool_size=settings.DB_POOL_SIZE,
        max_overflow=0,
        pool_timeout=settings.DB_POOL_TIMEOUT,
        pool_recycle=POOL_RECYCLE,
        # Read-only lookups: no transaction, so no ROLLBACK round trip when a connection is
        # given back (https://docs.sqlalchemy.org/en/20/core/connections.html#dbapi-autocommit-skip-rollback).
        isolation_level="AUTOCOMMIT",
        skip_autocommit_rollback=True,
        execution_options={QUERY_TIMEOUT: settings.DB_QUERY_TIMEOUT},
        connect_args={
            "ssl": mysql.ssl,
            # The TCP connect only: Database.connect() bounds the handshake too.
            "connect_timeout": settings.DB_CONNECT_TIMEOUT,
            # TIMESTAMP columns come back in UTC whatever the server's time zone.
            "init_command": "SET time_zone = '+00:00'",
        },
    )


@asynccontextmanager
async def deadline(seconds: float, name: str) -> AsyncIterator[None]:
    """``asyncio.timeout``, whose TimeoutError names the setting that ran out."""
    try:
        async with asyncio.timeout(seconds) as scope:
            yield
    except TimeoutError:
        if scope.expired():
            raise TimeoutError(f"{name} ({seconds:g} s) passed") from None
        raise


class Database:
    """The engine, and the turns that make its pool serve waiting requests in arrival order.

    SQLAlchemy's asyncio pool waits on an ``asyncio.Queue``, where a newcomer can take a
    connection given back for a woken waiter, which then queues again at the back. One turn
    per connection, from asyncio's first-come-first-served Semaphore, leaves it no waiter.
    """

    def __init__(self, settings: Settings) -> None:
        self.engine = create_engine(settings)
        self.size = settings.DB_POOL_SIZE
        self.turns = asyncio.Semaphore(self.size)
        self.pool_timeout = settings.DB_POOL_TIMEOUT
        self.connect_timeout = settings.DB_CONNECT_TIMEOUT

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A pooled connection, waited for in turn, opened if the pool has none ready."""
        async with deadline(self.pool_timeout, "DB_POOL_TIMEOUT"):
            await self.turns.acquire()
        try:
            async with deadline(self.connect_timeout, "DB_CONNECT_TIMEOUT"):
                connection = await self.engine.connect()
            try:
                yield connection
            finally:
                await connection.close()
        finally:
            self.turns.release()

    async def fill(self) -> None:
        """Open every connection at once before serving, within DB_CONNECT_TIMEOUT, best effort.

        The worker starts whatever the outcome: what is missing opens at checkout.
        """
        started = time.monotonic()
        opened: list[AsyncConnection] = []
        failures: list[BaseException] = []

        async def open_one() -> None:
            try:
                opened.append(await self.engine.connect())
            except Exception as error:  # logged below: the worker starts anyway
                failures.append(error)

        try:
            async with (
                deadline(self.connect_timeout, "DB_CONNECT_TIMEOUT"),
                asyncio.TaskGroup() as group,
            ):
                for _ in range(self.size):
                    group.create_task(open_one())
        except TimeoutError as error:
            failures.append(error)
        for connection in opened:
            await connection.close()  # back to the pool, open
        summary = "database pool: opened %d of %d connections in %.2f s"
        elapsed = time.monotonic() - started
        if len(opened) == self.size:
            logger.info(summary, len(opened), self.size, elapsed)
        else:
            failed = self.size - len(opened)
            first = describe(failures[0])
            logger.warning(
                f"{summary}; %d failed: %s", len(opened), self.size, elapsed, failed, first
            )

    async def close(self) -> None:
        """Close the pool's connections; a database that no longer answers gets 2 s."""
        with suppress(TimeoutError):
            async with asyncio.timeout(2):
                await self.engine.dispose()


async def fetch_all(
    connection: AsyncConnection, statement: TextClause, **values: Any
) -> Sequence[Row[Any]]:
    """Every row, within the query timeout; once more on a fresh connection if this one was dead.

    SQLAlchemy invalidates a connection whose error the dialect calls a disconnect (the server
    closed it: MySQL errors 2006, 2013, 4031, MariaDB's 1927, ...), and the next statement on
    it checks out a new one. A query timeout is not retried.
    """
    seconds = connection.engine.get_execution_options()[QUERY_TIMEOUT]
    async with deadline(seconds, "DB_QUERY_TIMEOUT"):
        try:
            return (await connection.execute(statement, values)).all()
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
        await connection.rollback()  # SQLAlchemy's condition for using the connection again
        return (await connection.execute(statement, values)).all()


def describe(error: BaseException) -> str:
    """``Class (driver code): message`` for a driver's error, else ``Class: message``."""
    cause = error.orig if isinstance(error, DBAPIError) else error
    args: tuple[Any, ...] = getattr(cause, "args", ())
    if len(args) == 2 and isinstance(args[0], int):
        text = f"{type(cause).__name__} ({args[0]}): {args[1]}"
    else:
        text = f"{type(cause).__name__}: {cause}".removesuffix(": ")
    return " ".join(text.split())
