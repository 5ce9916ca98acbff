"""The pool against a real MySQL (TEST_DATABASE_URL): fill, deadlines, the retry, recycling.

Each test opens its own small pool on the test database and looks at the server's own view of
its connections (``information_schema.PROCESSLIST``) through a separate plain connection.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app import db
from app.db import LOOKUP, Database, fetch_all
from tests.conftest import Scratch, settings


def run[T](database: Database, test: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Fill ``database``, run ``test``, close the pool, all on one event loop."""

    async def main() -> T:
        await database.fill()
        try:
            return await test()
        finally:
            await database.close()

    return asyncio.run(main())


async def query(database: Database, sql: str) -> list[Any]:
    async with database.connect() as connection:
        return list(await fetch_all(connection, text(sql)))


def pool_connections(scratch: Scratch) -> list[int]:
    """Ids of this database's connections other than ``scratch`` itself."""
    with scratch.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM information_schema.PROCESSLIST"
            " WHERE db = DATABASE() AND id <> CONNECTION_ID()"
        )
        return sorted(row[0] for row in cursor.fetchall())


def execute(scratch: Scratch, sql: str, *args: Any) -> None:
    with scratch.cursor() as cursor:
        cursor.execute(sql, args)


def kill(scratch: Scratch, ids: list[int]) -> None:
    """KILL these connections and wait until the server no longer lists them."""
    for connection_id in ids:
        execute(scratch, f"KILL {connection_id}")
    assert still_there(scratch, ids) == []


def still_there(scratch: Scratch, ids: list[int]) -> list[int]:
    """Which of ``ids`` the server still lists after up to 10 s: it drops a killed or closed
    connection a moment after the client lets go, later on a busy machine."""
    deadline = time.monotonic() + 10
    while (
        left := sorted(set(pool_connections(scratch)) & set(ids))
    ) and time.monotonic() < deadline:
        time.sleep(0.01)
    return left


@pytest.fixture
def rows(scratch: Scratch) -> Iterator[str]:
    """A name of its own with three rows, one with NULL timestamps; deleted afterwards."""
    name = f"test-{uuid.uuid4()}"
    execute(scratch, "INSERT INTO demo_data (name) VALUES (%s), (%s)", name, name)
    execute(
        scratch,
        "INSERT INTO demo_data (name, create_time, update_time) VALUES (%s, NULL, NULL)",
        name,
    )
    yield name
    execute(scratch, "DELETE FROM demo_data WHERE name = %s", name)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A MySQL URL whose server accepts TCP connections and never greets."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)  # the kernel completes handshakes; nothing ever answers
        yield f"mysql://user:secret@127.0.0.1:{sock.getsockname()[1]}/demo"


async def slow_proxy(url: str, delay: float) -> tuple[asyncio.Server, str]:
    """A TCP proxy to ``url``'s server that waits ``delay`` s before connecting each client."""
    parts = urlsplit(url)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.sleep(delay)
            up_reader, up_writer = await asyncio.open_connection(parts.hostname, parts.port)
            try:
                await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
            finally:
                up_writer.close()
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, urlunsplit(
        parts._replace(netloc=f"{parts.netloc.rsplit('@', 1)[0]}@127.0.0.1:{port}")
    )


def test_fill_opens_every_connection_at_once(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def fill() -> None:
        # Each connect waits 0.4 s at the proxy: the first alone, then the other three at once
        # (SQLAlchemy's first-connect lock) take 0.8 s; a serial fill would take 1.6 s.
        proxy, url = await slow_proxy(database_url, 0.4)
        database = Database(settings(url, DB_POOL_SIZE=4, DB_CONNECT_TIMEOUT=5))
        with caplog.at_level(logging.INFO, logger="app"):
            await database.fill()
        await database.close()
        proxy.close()

    asyncio.run(fill())
    (line,) = [record.getMessage() for record in caplog.records if record.name == "app.db"]
    assert line.startswith("database pool: opened 4 of 4 connections in ")
    assert 0.4 <= float(line.split()[-2]) < 1.2


def test_fill_leaves_every_connection_open_in_the_pool(database_url: str, scratch: Scratch) -> None:
    database = Database(settings(database_url, DB_POOL_SIZE=4))
    opened = run(database, lambda: asyncio.to_thread(pool_connections, scratch))
    assert len(opened) == 4
    assert still_there(scratch, opened) == []  # closed with the pool


def test_fill_gives_up_after_the_connect_timeout(
    silent_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    database = Database(settings(silent_server, DB_POOL_SIZE=2, DB_CONNECT_TIMEOUT=0.2))

    async def fill() -> None:
        async with asyncio.timeout(10):  # a fill without its deadline would hang here
            await database.fill()
        await database.close()

    asyncio.run(fill())
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith("database pool: opened 0 of 2 connections in 0.")
    assert record.getMessage().endswith(
        " s; 2 failed: TimeoutError: DB_CONNECT_TIMEOUT (0.2 s) passed"
    )


def test_a_refused_fill_names_the_first_failure(
    refused_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    asyncio.run(Database(settings(refused_url, DB_POOL_SIZE=2)).fill())
    message = caplog.records[0].getMessage()
    assert "; 2 failed: OperationalError (2003): Can't connect to MySQL server" in message


def test_lookup_gives_the_rows_in_id_order(database_url: str, rows: str) -> None:
    database = Database(settings(database_url))

    async def lookup() -> list[Any]:
        async with database.connect() as connection:
            return list(await fetch_all(connection, LOOKUP, name=rows))

    found = run(database, lookup)
    assert [row.name for row in found] == [rows] * 3
    assert [row.id for row in found] == sorted(row.id for row in found)
    assert found[0].create_time is not None
    assert (found[2].create_time, found[2].update_time) == (None, None)


def test_sessions_are_utc_utf8mb4_and_autocommit(database_url: str) -> None:
    database = Database(settings(database_url))
    sql = "SELECT @@session.time_zone, @@session.character_set_connection, @@autocommit"
    (session,) = run(database, lambda: query(database, sql))
    assert tuple(session) == ("+00:00", "utf8mb4", 1)


def test_a_connection_killed_after_checkout_is_retried_once(
    database_url: str, scratch: Scratch, rows: str
) -> None:
    database = Database(settings(database_url, DB_POOL_SIZE=1))

    async def kill_then_look_up() -> tuple[int, int, int]:
        async with database.connect() as connection:
            killed = (await connection.execute(text("SELECT CONNECTION_ID()"))).scalar_one()
            await asyncio.to_thread(kill, scratch, [killed])
            found = await fetch_all(connection, LOOKUP, name=rows)
            fresh = (await connection.execute(text("SELECT CONNECTION_ID()"))).scalar_one()
        return len(found), killed, fresh

    found, killed, fresh = run(database, kill_then_look_up)
    assert found == 3
    assert fresh != killed


def test_a_connection_killed_while_its_query_runs_is_retried_once(
    database_url: str, scratch: Scratch
) -> None:
    database = Database(settings(database_url, DB_POOL_SIZE=1, DB_QUERY_TIMEOUT=10))
    sql = text("SELECT CONNECTION_ID(), SLEEP(1.5)")

    async def kill_mid_query() -> tuple[int, int]:
        async with database.connect() as connection:
            killed = (await connection.execute(text("SELECT CONNECTION_ID()"))).scalar_one()
            running = asyncio.create_task(fetch_all(connection, sql))
            await asyncio.sleep(0.2)  # the SLEEP is running
            await asyncio.to_thread(execute, scratch, f"KILL {killed}")
            (row,) = await running
        return killed, row[0]

    killed, answered_by = run(database, kill_mid_query)
    assert answered_by != killed


def test_killed_pooled_connections_are_replaced(
    database_url: str, scratch: Scratch, rows: str
) -> None:
    database = Database(settings(database_url, DB_POOL_SIZE=3))

    async def kill_all_then_look_up() -> list[int]:
        await asyncio.to_thread(kill, scratch, pool_connections(scratch))
        found = await asyncio.gather(*(query(database, "SELECT 1") for _ in range(6)))
        assert [len(rows_found) for rows_found in found] == [1] * 6
        return pool_connections(scratch)

    after = run(database, kill_all_then_look_up)
    assert 1 <= len(after) <= 3


def test_connections_are_recycled(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert db.POOL_RECYCLE == 180
    monkeypatch.setattr(db, "POOL_RECYCLE", 1)
    database = Database(settings(database_url, DB_POOL_SIZE=1))

    async def connection_ids() -> list[int]:
        ids = []
        for pause in (0, 0, 1.5):
            await asyncio.sleep(pause)
            ids.append((await query(database, "SELECT CONNECTION_ID()"))[0][0])
        return ids

    first, again, after_a_pause = run(database, connection_ids)
    assert first == again != after_a_pause


def test_a_missing_table_is_the_drivers_error(database_url: str) -> None:
    database = Database(settings(database_url))
    with pytest.raises(DBAPIError) as error:
        run(database, lambda: query(database, "SELECT 1 FROM no_such_table"))
    assert error.value.orig is not None
    assert error.value.orig.args[0] == 1146


def test_a_query_timeout_is_never_retried(database_url: str, scratch: Scratch) -> None:
    database = Database(settings(database_url, DB_QUERY_TIMEOUT=0.3))
    marker = f"t_{uuid.uuid4().hex}"

    async def sleep_then_count() -> int:
        with pytest.raises(TimeoutError, match=r"^DB_QUERY_TIMEOUT \(0.3 s\) passed$"):
            await query(database, f"SELECT SLEEP(3) AS {marker}")
        with scratch.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM information_schema.PROCESSLIST"
                " WHERE info LIKE %s AND id <> CONNECTION_ID()",
                (f"%{marker}%",),
            )
            running = [row[0] for row in cursor.fetchall()]
        for connection_id in running:
            execute(scratch, f"KILL {connection_id}")
        return len(running)

    assert run(database, sleep_then_count) <= 1  # the one the timeout abandoned, if still listed


def test_waiters_are_served_in_arrival_order(database_url: str) -> None:
    database = Database(settings(database_url, DB_POOL_SIZE=1))
    served: list[str] = []
    releasing = asyncio.Event()

    async def request(name: str, after: asyncio.Event | None = None) -> None:
        if after is not None:
            await after.wait()
        async with database.connect():
            served.append(name)
            await asyncio.sleep(0.01)

    async def queue_up() -> None:
        async with database.connect():
            waiters = [asyncio.create_task(request(f"waiter {n}")) for n in range(3)]
            latecomer = asyncio.create_task(request("latecomer", after=releasing))
            await asyncio.sleep(0.05)
            # The latecomer runs just before the first waiter is woken for the connection.
            releasing.set()
        await asyncio.gather(*waiters, latecomer)

    run(database, queue_up)
    assert served == ["waiter 0", "waiter 1", "waiter 2", "latecomer"]


def test_waiting_for_a_connection_is_bounded(database_url: str) -> None:
    database = Database(settings(database_url, DB_POOL_SIZE=1, DB_POOL_TIMEOUT=0.5))

    async def one_too_many() -> None:
        async with database.connect():
            with pytest.raises(TimeoutError, match=r"^DB_POOL_TIMEOUT \(0.5 s\) passed$"):
                await query(database, "SELECT 1")

    run(database, one_too_many)


def test_a_server_that_never_greets_is_a_connect_timeout(silent_server: str) -> None:
    database = Database(settings(silent_server, DB_CONNECT_TIMEOUT=0.2))

    async def checkout() -> None:
        async with asyncio.timeout(10):  # a checkout without its deadline would hang here
            await query(database, "SELECT 1")

    with pytest.raises(TimeoutError, match=r"^DB_CONNECT_TIMEOUT \(0.2 s\) passed$"):
        run(database, checkout)
