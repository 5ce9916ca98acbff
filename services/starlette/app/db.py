"""The MySQL pool: one `databases.Database` over aiomysql per worker process, with a FIFO
wait, one deadline per phase and one retry on a connection the server closed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from datetime import datetime
from typing import Any

import aiomysql
import databases
from databases.interfaces import Record
from pymysql.constants import CLIENT, FIELD_TYPE
from pymysql.converters import conversions, convert_datetime

from app import config

logger = logging.getLogger(__name__)

# The name is bound as a value, never formatted into the SQL.
LOOKUP = "SELECT id, name, create_time, update_time FROM demo_data WHERE name = :name ORDER BY id"
PING = "SELECT 1 FROM demo_data LIMIT 1"

# Seconds: a pooled connection idle for longer is replaced at checkout, before a load
# balancer or NAT drops it silently (their idle limits start at about 4 minutes).
POOL_RECYCLE = 180
# Seconds the close waits: aiomysql's wait_closed() is not woken by a connection given back closed.
CLOSE_TIMEOUT = 2.0

# Socket errors (TimeoutError and ssl.SSLError included) and whatever PyMySQL raises.
ERRORS = (OSError, aiomysql.MySQLError)

# The server closed the connection (an error's args start with its code): MariaDB's KILL,
# "server has gone away", "lost connection", MySQL 8's inactivity disconnect.
DEAD_CODES = {(1927,), (2006,), (2013,), (4031,)}


def timestamp_or_none(value: str | bytes) -> datetime | None:
    """A TIMESTAMP; a zero date (0000-00-00 00:00:00) as None, where PyMySQL gives its text."""
    parsed = convert_datetime(value)
    return parsed if isinstance(parsed, datetime) else None


CONVERSIONS = {**conversions, FIELD_TYPE.TIMESTAMP: timestamp_or_none}


class DatabaseUnavailable(Exception):
    """MySQL refused, failed or did not answer in time: the message says how, in one line."""


@asynccontextmanager
async def deadline(seconds: float, setting: str) -> AsyncIterator[None]:
    """``asyncio.timeout(seconds)``, whose expiry is DatabaseUnavailable naming ``setting``."""
    timeout = asyncio.timeout(seconds)
    try:
        async with timeout:
            yield
    except TimeoutError as error:
        if not timeout.expired():
            raise
        raise DatabaseUnavailable(f"TimeoutError: {setting} ({seconds:g} s) passed") from error


class Pool:
    """One worker's `databases.Database`, used through its public API only."""

    def __init__(self) -> None:
        self.database = databases.Database(
            config.DATABASE_URL,
            ssl=config.DATABASE_TLS,
            # Creating the pool opens nothing, so it cannot fail while MySQL is down: open()
            # fills it, and checkouts open what is missing, up to max_size.
            min_size=0,
            max_size=config.DB_POOL_SIZE,
            pool_recycle=POOL_RECYCLE,
            connect_timeout=config.DB_CONNECT_TIMEOUT,  # the TCP connect: deadline() does the rest
            charset="utf8mb4",
            init_command="SET time_zone = '+00:00'",  # TIMESTAMPs in UTC, whatever the server's
            conv=CONVERSIONS,
        )
        # asyncio's Semaphore serves its waiters in order; with one turn per connection,
        # aiomysql's pool (which does not) never has a waiter.
        self.turns = asyncio.Semaphore(config.DB_POOL_SIZE)

    async def open(self) -> None:
        """Ask for every connection at once, within DB_CONNECT_TIMEOUT, and log the outcome;
        the worker starts whatever it is, and what is missing opens at checkout."""
        await self.database.connect()
        size = config.DB_POOL_SIZE
        started = time.monotonic()
        opened = 0
        failures: list[BaseException] = []
        all_open = asyncio.Barrier(size)

        async def hold_one() -> None:  # held until all are open, so each task opens its own
            nonlocal opened
            try:
                async with self.database.connection() as connection:
                    refuse_plain_text(connection.raw_connection)
                    opened += 1
                    with suppress(asyncio.BrokenBarrierError):  # another one failed
                        await all_open.wait()
            except ERRORS as error:
                failures.append(error)
                await all_open.abort()  # the others stop waiting for a full pool

        try:
            async with asyncio.timeout(config.DB_CONNECT_TIMEOUT), asyncio.TaskGroup() as group:
                for _ in range(size):
                    group.create_task(hold_one())
        except TimeoutError:
            failures.append(TimeoutError(f"DB_CONNECT_TIMEOUT ({config.DB_CONNECT_TIMEOUT:g} s)"))
        took = time.monotonic() - started
        summary = f"database pool: opened {opened} of {size} connections in {took:.2f} s"
        if not failures:
            logger.info("%s", summary)
        else:
            first = f"{type(failures[0]).__name__}: {failures[0]}"
            logger.warning("%s; %d failed: %s", summary, size - opened, first)

    async def close(self) -> None:
        """Close every connection; requests still holding one get at most CLOSE_TIMEOUT."""
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self.database.disconnect()
        except TimeoutError:
            logger.warning("closing the database pool timed out; the process exit closes it")

    async def fetch_all(self, query: str, values: dict[str, Any] | None = None) -> list[Record]:
        """Every row of ``query``: a turn within DB_POOL_TIMEOUT, then a connection and its
        rows; once more on a fresh connection if the server had closed the pooled one (never
        after a timeout). Any failure is DatabaseUnavailable."""
        async with deadline(config.DB_POOL_TIMEOUT, "DB_POOL_TIMEOUT"):
            await self.turns.acquire()
        try:
            try:
                return await self.attempt(query, values)
            except ERRORS as error:
                if not dead_connection(error):
                    raise
            return await self.attempt(query, values)  # the one retry
        except ERRORS as error:
            raise DatabaseUnavailable(describe(error)) from error
        finally:
            self.turns.release()

    async def attempt(self, query: str, values: dict[str, Any] | None) -> list[Record]:
        """A connection within DB_CONNECT_TIMEOUT, the rows within DB_QUERY_TIMEOUT."""
        async with AsyncExitStack() as stack:
            async with deadline(config.DB_CONNECT_TIMEOUT, "DB_CONNECT_TIMEOUT"):
                connection = await stack.enter_async_context(self.database.connection())
                refuse_plain_text(connection.raw_connection)
            async with deadline(config.DB_QUERY_TIMEOUT, "DB_QUERY_TIMEOUT"):
                try:
                    return await connection.fetch_all(query, values)
                except ERRORS as error:
                    if dead_connection(error):
                        connection.raw_connection.close()  # never back to the pool
                    raise

    async def lookup(self, name: str) -> list[dict[str, Any]]:
        """The rows named ``name``, in id order, as dicts."""
        return [dict(row._mapping) for row in await self.fetch_all(LOOKUP, {"name": name})]

    async def ping(self) -> None:
        """Readiness: the table answers through the pool, within the pool's deadlines."""
        await self.fetch_all(PING)


def refuse_plain_text(connection: aiomysql.Connection) -> None:
    """With TLS asked for, a server that did not offer it: aiomysql would go on in plain text."""
    if config.DATABASE_TLS and not connection.server_capabilities & CLIENT.SSL:
        connection.close()  # never back to the pool
        raise aiomysql.OperationalError(2026, "TLS is required, but the server does not offer it")


def dead_connection(error: BaseException) -> bool:
    """Whether the server had closed the connection (InterfaceError: aiomysql's "Not connected")."""
    dead = isinstance(error, aiomysql.MySQLError) and error.args[:1] in DEAD_CODES
    return dead or isinstance(error, aiomysql.InterfaceError)


def describe(error: BaseException) -> str:
    """``Class (driver code): message``, with its cause, in one line."""
    if isinstance(error, aiomysql.MySQLError) and len(error.args) == 2:
        text = f"{type(error).__name__} ({error.args[0]}): {error.args[1]}"
    else:
        text = f"{type(error).__name__}: {error}"
    if error.__cause__ is not None:
        text += f" ({describe(error.__cause__)})"
    return " ".join(text.split())
