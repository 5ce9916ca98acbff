"""The MySQL pool: SQLAlchemy's asyncio engine over asyncmy, one per worker process.

https://docs.sqlalchemy.org/en/20/orm/extensions/asyncio.html
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from typing import Any

from sqlalchemy import Row, TextClause, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.config import Settings

logger = logging.getLogger(__name__)

DRIVER = "asyncmy"
LOOKUP = text(
    "SELECT id, name, create_time, update_time FROM demo_data WHERE name = :name ORDER BY id"
)
PING = text("SELECT 1 FROM demo_data LIMIT 1")
# Seconds: below the idle limits (about 4 minutes and up) at which a load balancer or NAT
# drops a connection silently.
POOL_RECYCLE = 180


def create_engine(settings: Settings) -> AsyncEngine:
    return create_async_engine(
        settings.DATABASE_URL.url.set(drivername=f"mysql+{DRIVER}", query={"charset": "utf8mb4"}),
        pool_size=settings.DB_POOL_SIZE,
        max_overflow=0,
        pool_timeout=settings.DB_POOL_TIMEOUT,
        pool_recycle=POOL_RECYCLE,
        # Read-only lookups: no transaction, no ROLLBACK round trip when a connection goes back
        # (https://docs.sqlalchemy.org/en/20/core/connections.html#dbapi-autocommit-skip-rollback).
        isolation_level="AUTOCOMMIT",
        skip_autocommit_rollback=True,
        execution_options={"query_timeout": settings.DB_QUERY_TIMEOUT},
        connect_args={
            "ssl": settings.DATABASE_URL.ssl,
            "connect_timeout": settings.DB_CONNECT_TIMEOUT,  # the TCP connect only
            "init_command": "SET time_zone = '+00:00'",  # TIMESTAMPs come back in UTC
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
    """The engine, with waiting requests served in arrival order.

    SQLAlchemy's asyncio pool waits on an ``asyncio.Queue``, where a newcomer can take the
    connection given back for a woken waiter, which then queues again at the back. A turn per
    connection from ``asyncio.Semaphore``, first come first served, leaves the pool no waiter.
    """

    def __init__(self, settings: Settings) -> None:
        self.engine = create_engine(settings)
        self.size = settings.DB_POOL_SIZE
        self.turns = asyncio.Semaphore(self.size)
        self.settings = settings

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        async with deadline(self.settings.DB_POOL_TIMEOUT, "DB_POOL_TIMEOUT"):
            await self.turns.acquire()
        try:
            # Around the checkout, the deadline bounds the TLS and MySQL handshakes too.
            async with deadline(self.settings.DB_CONNECT_TIMEOUT, "DB_CONNECT_TIMEOUT"):
                connection = await self.engine.connect()
            try:
                yield connection
            finally:
                await connection.close()
        finally:
            self.turns.release()

    async def fill(self) -> None:
        """Open every connection before serving, within DB_CONNECT_TIMEOUT, best effort."""
        started = time.monotonic()
        opened: list[AsyncConnection] = []
        failures: list[BaseException] = []

        async def open_one() -> None:
            try:
                opened.append(await self.engine.connect())
            except Exception as error:  # logged below: what is missing opens at checkout
                failures.append(error)

        try:
            async with deadline(self.settings.DB_CONNECT_TIMEOUT, "DB_CONNECT_TIMEOUT"):
                # SQLAlchemy runs the pool's first connect event alone, under a lock
                # (_exec_w_sync_on_first_run): one connection first, then the rest at once.
                await open_one()
                async with asyncio.TaskGroup() as group:
                    for _ in range(self.size - 1):
                        group.create_task(open_one())
        except TimeoutError as error:
            failures.append(error)
        for connection in opened:
            await connection.close()  # back to the pool, open
        summary = f"database pool: opened {len(opened)} of {self.size} connections"
        summary += f" in {time.monotonic() - started:.2f} s"
        if len(opened) == self.size:
            logger.info(summary)
        else:
            failed = self.size - len(opened)
            logger.warning("%s; %d failed: %s", summary, failed, describe(failures[0]))

    async def close(self) -> None:
        """Close the pool's connections; a database that no longer answers gets 2 s."""
        with suppress(TimeoutError):
            async with asyncio.timeout(2):
                await self.engine.dispose()


async def fetch_all(
    connection: AsyncConnection, statement: TextClause, **values: Any
) -> Sequence[Row[Any]]:
    """Every row within DB_QUERY_TIMEOUT; once more on a fresh connection if this one was dead.

    SQLAlchemy invalidates a connection whose error the dialect calls a disconnect
    (https://docs.sqlalchemy.org/en/20/core/pooling.html#dealing-with-disconnects).
    """
    seconds = connection.engine.get_execution_options()["query_timeout"]
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
