"""greenify makes the MySQL client cooperative, and the pool keeps its waits bounded.

Monkey-patching is process-wide, so each check runs in a subprocess. The first needs no MySQL
server: a listening socket that never accepts stands in for a stalled one (the kernel
completes the TCP handshake; the MySQL greeting never comes). The second needs a real server
and runs only when TEST_DATABASE_URL is set, e.g. mysql://root@127.0.0.1:3306/mysql.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from config.mysql_greenify import client_library

SERVICE = Path(__file__).resolve().parent.parent
PRELUDE = """
from gevent import monkey

monkey.patch_all()

import time

import gevent

from config.mysql_greenify import greenify_mysql_client

greenify_mysql_client()
ticks = 0


def tick():
    global ticks
    while True:
        gevent.sleep(0.05)
        ticks += 1


gevent.spawn(tick)
"""


def run(script: str) -> list[str]:
    """Run ``script`` after the prelude, from the service folder; its output's words."""
    result = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(script)],
        cwd=SERVICE,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_the_client_library_is_found() -> None:
    assert os.path.basename(client_library()).startswith(("libmariadb.so", "libmysqlclient.so"))


def test_stalled_connects_are_concurrent_and_bounded() -> None:
    # Unpatched, four connects take 4 x 1 s one after the other and the ticker never runs.
    # Patched, the handshake waits with no timeout at all; the pool's deadline bounds it.
    elapsed, ticks, failures = run(
        """
        import socket

        from config.db.base import _connect
        from config.db.pool import ConnectionPool, ConnectTimeout

        stalled = socket.socket()
        stalled.bind(("127.0.0.1", 0))
        stalled.listen(16)
        params = {"host": "127.0.0.1", "port": stalled.getsockname()[1], "user": "x"}
        pool = ConnectionPool(
            lambda: _connect(params), lambda c: True, max_size=4, timeout=1, connect_timeout=1
        )
        failures = 0

        def acquire():
            global failures
            try:
                pool.acquire()
            except ConnectTimeout:
                failures += 1

        started = time.monotonic()
        gevent.joinall([gevent.spawn(acquire) for _ in range(4)])
        print(round(time.monotonic() - started, 2), ticks, failures)
        """
    )
    assert int(failures) == 4
    assert 1 <= float(elapsed) < 2, elapsed
    assert int(ticks) >= 15, ticks


@pytest.mark.skipif("TEST_DATABASE_URL" not in os.environ, reason="TEST_DATABASE_URL not set")
def test_queries_are_concurrent_and_keep_their_read_timeout() -> None:
    elapsed, ticks, timed_out = run(
        """
        import os
        from urllib.parse import urlsplit

        import MySQLdb

        from config.db.base import _connect

        url = urlsplit(os.environ["TEST_DATABASE_URL"])
        params = {
            "host": url.hostname, "port": url.port or 3306, "user": url.username,
            "password": url.password or "", "connect_timeout": 2, "read_timeout": 1,
        }
        connections = [_connect(params) for _ in range(11)]

        def query(connection, seconds):
            cursor = connection.cursor()
            try:
                cursor.execute("SELECT SLEEP(%s)", [seconds])
            except MySQLdb.OperationalError:
                return "timeout"

        started = time.monotonic()
        sleepers = [gevent.spawn(query, c, 0.5) for c in connections[:10]]
        overrun = gevent.spawn(query, connections[10], 3)
        gevent.joinall([*sleepers, overrun])
        print(round(time.monotonic() - started, 2), ticks, overrun.value)
        """
    )
    # Ten 0.5 s queries at once take about 0.5 s, not 5 s; the 3 s one stops after 1 s.
    assert timed_out == "timeout"
    assert float(elapsed) < 1.5, elapsed
    assert int(ticks) >= 10, ticks
