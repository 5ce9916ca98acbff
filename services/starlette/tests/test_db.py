"""The pool against a real MySQL (TEST_DATABASE_URL): fill, deadlines, dead connections, recycling.

Each test opens its own small pool on the test database and looks at the server's own view of
its connections (``information_schema.PROCESSLIST``) through a separate plain connection.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pymysql
import pytest

from app import config, db
from app.db import DatabaseUnavailable, Pool, dead_connection
from tests.conftest import Scratch, execute

type MakePool = Callable[..., Pool]


# The contract's defaults, but a smaller pool (conftest's TEST_SETTINGS are for the smoke tests).
DEFAULTS = {
    "DB_POOL_SIZE": 3,
    "DB_POOL_TIMEOUT": 5.0,
    "DB_CONNECT_TIMEOUT": 2.0,
    "DB_QUERY_TIMEOUT": 5.0,
}


@pytest.fixture
def make_pool(monkeypatch: pytest.MonkeyPatch) -> MakePool:
    """``make_pool(url, DB_POOL_SIZE=1, ...)``: a Pool with these settings, DEFAULTS otherwise."""

    def make(url: str, **values: Any) -> Pool:
        database_url, tls = config.database(url)
        monkeypatch.setattr(config, "DATABASE_URL", database_url)
        monkeypatch.setattr(config, "DATABASE_TLS", tls)
        for name, value in {**DEFAULTS, **values}.items():
            monkeypatch.setattr(config, name, value)
        return Pool()

    return make


def run[T](pool: Pool, test: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Open ``pool``, run ``test``, close the pool, all on one event loop."""

    async def main() -> T:
        await pool.open()
        try:
            return await test()
        finally:
            await pool.close()

    return asyncio.run(main())


SESSION = "SELECT @@session.time_zone AS zone, @@session.character_set_connection AS charset"


def pool_connections(scratch: Scratch) -> list[int]:
    """Ids of this database's connections other than ``scratch`` itself."""
    with scratch.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM information_schema.PROCESSLIST"
            " WHERE db = DATABASE() AND id <> CONNECTION_ID()"
        )
        return sorted(row[0] for row in cursor.fetchall())


def kill_all(scratch: Scratch) -> list[int]:
    """KILL every pooled connection, as the contract's fault test does; wait until they are gone."""
    pooled = pool_connections(scratch)
    for connection_id in pooled:
        execute(scratch, f"KILL {connection_id}")
    still_there(scratch, pooled)
    return pooled


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
def silent_server() -> Iterator[str]:
    """A MySQL URL whose server accepts TCP connections and never greets."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)  # the kernel completes handshakes; nothing ever answers
        yield f"mysql://user:secret@127.0.0.1:{sock.getsockname()[1]}/demo"


def test_fill_opens_every_connection_before_any_query(
    make_pool: MakePool, database_url: str, scratch: Scratch, caplog: pytest.LogCaptureFixture
) -> None:
    pool = make_pool(database_url, DB_POOL_SIZE=4)
    with caplog.at_level(logging.INFO, logger="app"):
        opened = run(pool, lambda: asyncio.to_thread(pool_connections, scratch))
    assert len(opened) == 4
    assert still_there(scratch, opened) == []  # closed with the pool
    (fill,) = [r for r in caplog.records if r.getMessage().startswith("database pool")]
    assert fill.levelno == logging.INFO
    assert re.fullmatch(
        r"database pool: opened 4 of 4 connections in \d+\.\d\d s", fill.getMessage()
    )


def test_fill_gives_up_after_the_connect_timeout(
    make_pool: MakePool, silent_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    pool = make_pool(silent_server, DB_CONNECT_TIMEOUT=0.2)
    started = time.monotonic()

    async def fill() -> None:
        async with asyncio.timeout(10):  # a fill without its deadline would hang here
            await pool.open()
        await pool.close()

    asyncio.run(fill())
    assert time.monotonic() - started < 5  # 0.2 s and the close
    (fill_line,) = [r for r in caplog.records if r.getMessage().startswith("database pool")]
    assert fill_line.levelno == logging.WARNING
    assert re.fullmatch(
        r"database pool: opened 0 of 3 connections in \d+\.\d\d s; "
        r"3 failed: TimeoutError: DB_CONNECT_TIMEOUT \(0\.2 s\)",
        fill_line.getMessage(),
    )


def test_fill_failures_name_the_first(
    make_pool: MakePool, caplog: pytest.LogCaptureFixture
) -> None:
    pool = make_pool("mysql://user:pw@127.0.0.1:9/demo")  # a closed port: refused at once
    run(pool, lambda: asyncio.sleep(0))
    (fill,) = [r for r in caplog.records if r.getMessage().startswith("database pool")]
    assert fill.getMessage().startswith("database pool: opened 0 of 3 connections in 0.0")
    assert (
        "; 3 failed: OperationalError: (2003, \"Can't connect to MySQL server" in fill.getMessage()
    )


def test_lookup_gives_the_rows_in_id_order(
    make_pool: MakePool, database_url: str, rows: str
) -> None:
    pool = make_pool(database_url)
    found = run(pool, lambda: pool.lookup(rows))
    assert [record["name"] for record in found] == [rows] * 3
    ids = [record["id"] for record in found]
    assert ids == sorted(ids)
    assert found[0]["create_time"] is not None
    assert (found[2]["create_time"], found[2]["update_time"]) == (None, None)


def test_sessions_are_utc_and_utf8mb4(make_pool: MakePool, database_url: str) -> None:
    pool = make_pool(database_url)
    (session,) = run(pool, lambda: pool.fetch_all(SESSION))
    assert (session["zone"], session["charset"]) == ("+00:00", "utf8mb4")


def test_dead_connections_are_replaced(
    make_pool: MakePool, database_url: str, scratch: Scratch, rows: str
) -> None:
    pool = make_pool(database_url, DB_POOL_SIZE=3)

    async def kill_all_then_look_up() -> list[int]:
        assert len(kill_all(scratch)) == 3  # blocking: the pool cannot notice meanwhile
        found = await asyncio.gather(*(pool.lookup(rows) for _ in range(6)))
        assert [len(rows_found) for rows_found in found] == [3] * 6
        return pool_connections(scratch)

    after = run(pool, kill_all_then_look_up)
    assert 1 <= len(after) <= 3


@pytest.mark.parametrize(
    ("error", "dead"),
    [
        (pymysql.err.OperationalError(2013, "Lost connection to MySQL server during query"), True),
        (pymysql.err.OperationalError(2006, "MySQL server has gone away"), True),
        (pymysql.err.OperationalError(4031, "The client was disconnected by the server"), True),
        (pymysql.err.OperationalError(1927, "Connection was killed"), True),
        (pymysql.err.InterfaceError("(0, 'Not connected')"), True),
        (pymysql.err.OperationalError(2003, "Can't connect to MySQL server"), False),
        (pymysql.err.ProgrammingError(1146, "Table 'demo.demo_data' doesn't exist"), False),
        (TimeoutError(), False),
    ],
)
def test_which_errors_mean_a_dead_connection(error: Exception, dead: bool) -> None:
    assert dead_connection(error) is dead


def test_connections_are_recycled(
    make_pool: MakePool, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert db.POOL_RECYCLE == 180
    monkeypatch.setattr(db, "POOL_RECYCLE", 1)
    pool = make_pool(database_url, DB_POOL_SIZE=1)
    assert pool.database.options["pool_recycle"] == 1

    async def connection_ids() -> list[int]:
        ids = []
        for pause in (0, 0, 1.5):
            await asyncio.sleep(pause)
            ids.append((await pool.fetch_all("SELECT CONNECTION_ID() AS id"))[0]["id"])
        return ids

    first, again, after_a_pause = run(pool, connection_ids)
    assert first == again != after_a_pause


def test_a_missing_table_is_unavailable(make_pool: MakePool, database_url: str) -> None:
    pool = make_pool(database_url)
    with pytest.raises(DatabaseUnavailable, match=r"^ProgrammingError \(1146\): "):
        run(pool, lambda: pool.fetch_all("SELECT 1 FROM no_such_table"))


def test_a_query_timeout_is_unavailable_and_never_retried(
    make_pool: MakePool, database_url: str, scratch: Scratch
) -> None:
    pool = make_pool(database_url, DB_QUERY_TIMEOUT=0.3)
    marker = f"t_{uuid.uuid4().hex}"

    async def sleep_then_count() -> int:
        with pytest.raises(
            DatabaseUnavailable, match=r"^TimeoutError: DB_QUERY_TIMEOUT \(0.3 s\) passed$"
        ):
            await pool.fetch_all(f"SELECT SLEEP(3) AS {marker}")
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

    assert run(pool, sleep_then_count) == 1


def test_waiting_for_a_turn_is_bounded(make_pool: MakePool, database_url: str) -> None:
    pool = make_pool(database_url, DB_POOL_SIZE=1, DB_POOL_TIMEOUT=0.3)

    async def one_too_many() -> None:
        busy = asyncio.create_task(pool.fetch_all("SELECT SLEEP(1)"))
        await asyncio.sleep(0.1)
        with pytest.raises(
            DatabaseUnavailable, match=r"^TimeoutError: DB_POOL_TIMEOUT \(0.3 s\) passed$"
        ):
            await pool.fetch_all("SELECT 1")
        await busy

    run(pool, one_too_many)


def test_a_server_that_never_greets_is_unavailable(make_pool: MakePool, silent_server: str) -> None:
    pool = make_pool(silent_server, DB_CONNECT_TIMEOUT=0.2)

    async def checkout() -> None:
        async with asyncio.timeout(10):  # a checkout without its deadline would hang here
            await pool.fetch_all("SELECT 1")

    with pytest.raises(
        DatabaseUnavailable, match=r"^TimeoutError: DB_CONNECT_TIMEOUT \(0.2 s\) passed$"
    ):
        run(pool, checkout)


def test_tls_asked_of_a_server_without_it_is_refused(
    make_pool: MakePool, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The test server offers no TLS; aiomysql alone would carry on in plain text.
    pool = make_pool(f"{database_url}?ssl-mode=REQUIRED", DB_POOL_SIZE=2)
    with pytest.raises(DatabaseUnavailable, match=r"^OperationalError \(2026\): TLS is required"):
        run(pool, lambda: pool.fetch_all("SELECT 1"))
    (fill,) = [r for r in caplog.records if r.getMessage().startswith("database pool")]
    assert "opened 0 of 2 connections" in fill.getMessage()
    assert "2 failed: OperationalError: (2026, 'TLS is required" in fill.getMessage()
