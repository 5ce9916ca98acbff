"""The one retry, through ``python -m app``: a pooled connection that the server kills while
its query runs is replaced, and the lookup still answers 200.

The table is locked first, so the lookup is held on the server, on a checked-out connection,
until the test has killed that connection; the retry then waits for the lock, released next.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx2

from tests.conftest import Scratch, Server, execute


def held_lookup(scratch: Scratch) -> int:
    """The id of the connection whose lookup waits for the table lock."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with scratch.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM information_schema.PROCESSLIST WHERE info LIKE %s"
                " AND state LIKE %s AND id <> CONNECTION_ID()",
                ("SELECT id, name, create_time, update_time FROM demo_data%", "%lock%"),
            )
            found = cursor.fetchall()
        if found:
            return int(found[0][0])
        time.sleep(0.01)
    raise AssertionError("no lookup waiting for the lock")


def gone(scratch: Scratch, connection_id: int) -> bool:
    with scratch.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM information_schema.PROCESSLIST WHERE id = %s", (connection_id,)
        )
        return not cursor.fetchall()


def test_a_connection_killed_during_its_query_is_retried(
    server: Server, scratch: Scratch, rows: str
) -> None:
    with ThreadPoolExecutor(1) as background:
        execute(scratch, "LOCK TABLES demo_data WRITE")
        try:
            answer = background.submit(httpx2.get, f"{server.url}/demo?name={rows}", timeout=20)
            killed = held_lookup(scratch)
            execute(scratch, f"KILL {killed}")
            deadline = time.monotonic() + 10
            while not gone(scratch, killed) and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            execute(scratch, "UNLOCK TABLES")
        response = answer.result()
    assert response.status_code == 200
    assert [row["name"] for row in response.json()] == [rows] * 3
