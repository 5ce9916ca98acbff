"""greenify really makes MySQLdb cooperative, the client's timeouts still hold, and why.

These need a MySQL server: set TEST_DATABASE_URL=mysql://user:password@host:port/database
(any database; the probes only run ``SELECT SLEEP(...)``). Each probe runs in its own Python
process, since gevent's monkey patching and greenify's hooks are process-wide.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.config import database_url

URL = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(not URL, reason="TEST_DATABASE_URL is not set")
SERVICE = Path(__file__).resolve().parent.parent

PROBE = """
import json, socket, sys, time
from gevent import monkey
monkey.patch_all()
import gevent, greenify, MySQLdb
from app.cooperative import client_library, patch_mysql_client

mode, scenario, login = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
if mode == "poll":
    patch_mysql_client()  # what the service does
elif mode == "patch_lib":
    greenify.greenify()  # what greenify's README does
    assert greenify.patch_lib(client_library())
timeouts = {"connect_timeout": 1, "read_timeout": 1, "write_timeout": 1}

def query(sql, **kwargs):
    settings = {**login, **timeouts, **kwargs}
    connection = MySQLdb.connect(**{k: v for k, v in settings.items() if v is not None})
    try:
        connection.query(sql)
        connection.store_result()
    finally:
        connection.close()

started = time.perf_counter()
error = None
try:
    if scenario == "concurrent":
        greenlets = [gevent.spawn(query, "SELECT SLEEP(0.2)") for _ in range(10)]
        gevent.joinall(greenlets, raise_error=True)
    elif scenario == "slow_query":
        query("SELECT SLEEP(3)")
    elif scenario == "no_read_timeout":
        query("SELECT SLEEP(0.5)", read_timeout=None)
    elif scenario == "silent_server":
        # Accepts TCP (the kernel does) but never sends MySQL's greeting.
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        query("SELECT 1", host="127.0.0.1", port=silent.getsockname()[1])
except MySQLdb.OperationalError as exc:
    error = exc.args[0]
print(json.dumps({"seconds": time.perf_counter() - started, "error": error}))
"""


def probe(mode: str, scenario: str) -> dict[str, Any]:
    """Run one scenario in a fresh process; ``mode`` is none, poll or patch_lib."""
    url, _ = database_url(URL)
    login = {
        "host": url.host,
        "port": url.port or 3306,
        "user": url.username or "",
        "password": url.password or "",
        "database": url.database,
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE, mode, scenario, json.dumps(login)],
        cwd=SERVICE,
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_queries_wait_concurrently() -> None:
    blocking = probe("none", "concurrent")
    cooperative = probe("poll", "concurrent")
    assert blocking["seconds"] >= 2.0  # ten 0.2 s queries, one after the other
    assert cooperative["seconds"] < blocking["seconds"] / 2  # all ten at once
    assert blocking["error"] is None and cooperative["error"] is None


@pytest.mark.parametrize("scenario", ["slow_query", "silent_server"])
def test_timeouts_still_hold(scenario: str) -> None:
    result = probe("poll", scenario)
    assert result["error"] in (2013, 2006)  # lost connection / server gone away
    # The 1 s timeout, not the server's pace (3 s, or never for the silent one).
    assert result["seconds"] < 3


def test_a_missing_read_timeout_gives_up_at_once() -> None:
    # Why db.py always sets one: greenify's poll hook turns "wait forever" into "don't wait".
    result = probe("poll", "no_read_timeout")
    assert result["error"] == 2013
    assert result["seconds"] < 0.5  # before the server could answer


def test_patch_lib_would_ignore_the_read_timeout() -> None:
    # Why cooperative.py hooks poll() only: greenify's recv hook waits with no timeout, so a
    # 3 s query outlives its 1 s read timeout (and a silent server would hang forever).
    result = probe("patch_lib", "slow_query")
    assert result["error"] is None
    assert result["seconds"] >= 2.9
