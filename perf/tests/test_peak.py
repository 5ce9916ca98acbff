"""The connection count is the peak during a run, not a reading after it (a real server)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from contract.database import Database, provide_database
from contract.peak import POLL_S, ConnectionPeak


@pytest.fixture(scope="module")
def database() -> Iterator[Database]:
    with provide_database(prefix="perftest") as database:
        yield database


def test_connections_opened_and_closed_within_the_run_are_counted(database: Database) -> None:
    reader = database.create_reader("peak")
    with ConnectionPeak(database, reader.user) as peak:
        held = [reader.connect(database.name) for _ in range(3)]
        time.sleep(POLL_S * 5)  # several readings while they are open
        for connection in held:
            connection.close()
        # Gone before the block ends, as the blog's Django's per-request connections are.
        deadline = time.monotonic() + 10
        while database.connections(reader.user) and time.monotonic() < deadline:
            time.sleep(POLL_S)
    assert database.connections(reader.user) == 0  # what a reading after the run would say
    assert peak.peak == 3


def test_no_connection_is_a_peak_of_zero(database: Database) -> None:
    reader = database.create_reader("none")
    with ConnectionPeak(database, reader.user) as peak:
        time.sleep(POLL_S * 2)
    assert peak.peak == 0


def test_counting_goes_on_after_its_connection_is_lost(database: Database) -> None:
    reader = database.create_reader("lost")
    with ConnectionPeak(database, reader.user) as peak:
        # The server ends the counting connection: the next reading reconnects.
        assert peak._connection is not None
        database.execute(f"KILL {int(peak._connection.thread_id())}")  # type: ignore[no-untyped-call]
        held = [reader.connect(database.name) for _ in range(2)]
        time.sleep(POLL_S * 5)
        for connection in held:
            connection.close()
    assert peak.peak == 2
