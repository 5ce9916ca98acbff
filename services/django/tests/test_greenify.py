"""greenify makes the MySQL client cooperative, and every wait keeps its timeout.

The first checks need no MySQL server: a listening socket that never accepts stands in for a
server that accepts TCP and never greets (the kernel completes the TCP handshake; the MySQL
greeting never comes). The last ones need a real server: TEST_DATABASE_URL, e.g.
mysql://root@127.0.0.1:3306/test.
"""

import os

import pytest

from config.mysql_greenify import client_library
from tests.scripts import run

TICKER = """
ticks = 0


def tick():
    global ticks
    while True:
        gevent.sleep(0.05)
        ticks += 1


gevent.spawn(tick)
"""

SILENT_SERVER = (
    TICKER
    + """
import socket

import MySQLdb

from config.db.pool import ConnectionPool

silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen(16)
params = {"host": "127.0.0.1", "port": silent.getsockname()[1], "user": "x",
          "connect_timeout": 1, "read_timeout": 1, "write_timeout": 1}
pool = ConnectionPool(
    lambda: MySQLdb.connect(**params), max_size=2, timeout=30, max_lifetime=180
)
codes = []


def acquire():
    try:
        pool.acquire()
    except MySQLdb.OperationalError as error:
        codes.append(error.args[0])


started = time.monotonic()
greenlets = [gevent.spawn(acquire) for _ in range(4)]
hung = len(gevent.joinall(greenlets, timeout=JOIN_TIMEOUT)) < len(greenlets)
print(hung, round(time.monotonic() - started, 3), ticks, *codes)
"""
)


# What greenify's README does: every hook, recv and send included.
PATCH_LIB = """
import greenify

from config.mysql_greenify import client_library

greenify.greenify()
assert greenify.patch_lib(client_library())
"""


def test_the_client_library_is_found() -> None:
    assert os.path.basename(client_library()).startswith(("libmariadb.so", "libmysqlclient.so"))


def test_a_server_that_never_greets_frees_the_pool_slot() -> None:
    # Four connects through two slots: each fails after its connect timeout and frees its
    # slot for the next; meanwhile the other greenlets run.
    hung, elapsed, ticks, *codes = run("JOIN_TIMEOUT = 30\n" + SILENT_SERVER, greenify=True)
    assert hung == "False"
    assert codes == ["2013"] * 4  # lost connection during the handshake; no pool timeout
    assert int(ticks) >= max(2, float(elapsed) / 0.05 / 4)  # the hub kept running


def test_patch_lib_would_hold_the_slot_for_ever() -> None:
    # Why config/mysql_greenify.py hooks poll() only: greenify's recv hook waits for the
    # greeting with no timeout, so the connects never end and the slots are lost.
    hung, *_ = run(PATCH_LIB + "JOIN_TIMEOUT = 4\n" + SILENT_SERVER)
    assert hung == "True"


DATABASE = os.environ.get("TEST_DATABASE_URL", "")
needs_database = pytest.mark.skipif(not DATABASE, reason="TEST_DATABASE_URL not set")

QUERIES = (
    TICKER
    + """
import os
from urllib.parse import urlsplit

import MySQLdb

url = urlsplit(os.environ["TEST_DATABASE_URL"])
params = {
    "host": url.hostname, "port": url.port or 3306, "user": url.username,
    "password": url.password or "", "connect_timeout": 2, "read_timeout": 1,
}
connections = [MySQLdb.connect(**params) for _ in range(11)]


def query(connection, seconds):
    cursor = connection.cursor()
    try:
        cursor.execute("SELECT SLEEP(%s)", [seconds])
    except MySQLdb.OperationalError as error:
        return error.args[0]


started = time.monotonic()
sleepers = [gevent.spawn(query, c, 0.5) for c in connections[:10]]
gevent.joinall(sleepers)
concurrent = time.monotonic() - started
started = time.monotonic()
overrun = gevent.spawn(query, connections[10], 3)
overrun.join()
print(round(concurrent, 3), round(time.monotonic() - started, 3), ticks, overrun.value)
"""
)


@needs_database
def test_queries_are_concurrent_and_keep_their_read_timeout() -> None:
    concurrent, overrun, ticks, code = run(QUERIES, greenify=True)
    # Ten 0.5 s queries one after the other take 5 s; at once, about one of them.
    assert float(concurrent) < 10 * 0.5 / 2
    # The 3 s query is cut by its 1 s read timeout.
    assert code == "2013"
    assert float(overrun) < 3
    assert int(ticks) >= max(2, (float(concurrent) + float(overrun)) / 0.05 / 4)
