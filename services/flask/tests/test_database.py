"""The service on a real MySQL server (TEST_DATABASE_URL), under gevent and greenify.

Each check runs the real app in a fresh process through Flask's test client, after what
gunicorn.conf.py does: the log format, greenify, then the pool filled. The database needs
the demo_data table of the contract's schema; rows are added and removed by the check that
needs them. TEST_DATABASE_URL's user needs the PROCESS privilege (to KILL the service's
connections), e.g. mysql://root@127.0.0.1:3306/test.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

DATABASE = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(not DATABASE, reason="TEST_DATABASE_URL not set")
SERVICE = Path(__file__).resolve().parent.parent

PRELUDE = """
from gevent import monkey

monkey.patch_all()

import os
from urllib.parse import unquote, urlsplit

import logging.config

import gevent
import MySQLdb

from app import cooperative, create_app, db, log

logging.config.dictConfig(log.config(access_log=False))
cooperative.patch_mysql_client()
app = create_app()
db.fill(app)
client = app.test_client()
database = app.extensions["dataset"]
url = urlsplit(os.environ["DATABASE_URL"])
admin = MySQLdb.connect(
    host=url.hostname, port=url.port or 3306, user=unquote(url.username),
    password=unquote(url.password or ""), database=url.path[1:], autocommit=True,
    connect_timeout=5, read_timeout=10, write_timeout=10,  # greenify needs them all
)


def server_ids():
    admin.query("SELECT id FROM information_schema.PROCESSLIST WHERE db = DATABASE()"
                " AND id <> CONNECTION_ID()")
    return sorted(row[0] for row in admin.store_result().fetch_row(maxrows=0))


def kill_the_pool():
    ids = server_ids()
    for thread_id in ids:
        admin.query(f"KILL {thread_id}")
    gevent.sleep(0.2)  # the server closes them
    return ids
"""


def run_service(script: str, url: str = DATABASE) -> tuple[list[str], list[str]]:
    """The script's output words, and the log lines it wrote."""
    env = {**os.environ, "DATABASE_URL": url, "DB_POOL_SIZE": "3", "DB_QUERY_TIMEOUT": "1"}
    result = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(script)],
        cwd=SERVICE,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split(), result.stderr.splitlines()


def test_the_pool_is_full_before_the_first_request() -> None:
    (opened,), log = run_service("print(len(server_ids()))")
    assert opened == "3"
    (fill,) = [line for line in log if "database pool" in line]
    assert re.search(r"Z INFO app: database pool: opened 3 of 3 connections in \d\.\d\d s$", fill)


def test_a_connection_that_dies_after_checkout_is_replaced() -> None:
    # The request has its connection (get_db); the server kills it before the query runs.
    (status,), log = run_service(
        """
        @app.before_request
        def kill_the_request_connection():
            connection = db.get_db().executable.connection.dbapi_connection
            admin.query(f"KILL {connection.thread_id()}")
            gevent.sleep(0.2)  # the server closes it

        print(client.get("/demo?name=x").status_code)
        """
    )
    assert status == "200", log


def test_killed_connections_are_replaced_and_the_lookups_succeed() -> None:
    (killed, *statuses), log = run_service(
        """
        killed = kill_the_pool()
        statuses = [client.get("/demo?name=x").status_code for _ in range(6)]
        print(len(killed), *statuses)
        """
    )
    assert killed == "3"
    assert statuses == ["200"] * 6
    assert not [line for line in log if "WARNING" in line or "ERROR" in line]


def test_a_connection_killed_while_its_query_runs_is_replaced() -> None:
    (slept,), log = run_service(
        """
        def kill_the_sleeper():
            gevent.sleep(0.2)  # the query is running
            admin.query("SELECT id FROM information_schema.PROCESSLIST"
                        " WHERE info LIKE 'SELECT SLEEP(0.5)%' AND id <> CONNECTION_ID()")
            for (thread_id,) in admin.store_result().fetch_row(maxrows=0):
                admin.query(f"KILL {thread_id}")

        killer = gevent.spawn(kill_the_sleeper)
        with app.app_context():
            rows = db.fetch_all(db.text("SELECT SLEEP(0.5) AS slept"))
        killer.join()
        print(rows[0]["slept"])
        """
    )
    assert slept == "0", log


COUNTING = """
calls = 0
query = database.query


def counting(*args, **kwargs):
    global calls
    calls += 1
    return query(*args, **kwargs)


database.query = counting
"""


def test_a_dead_pooled_connection_is_retried_once() -> None:
    (calls,), _ = run_service(
        COUNTING
        + """
with app.app_context():
    kill_the_pool()
    db.fetch_all(db.READY)
print(calls)
"""
    )
    assert calls == "2"


def test_a_query_timeout_is_never_retried() -> None:
    (calls, error), _ = run_service(
        COUNTING
        + """
with app.app_context():
    try:  # on a pooled connection, opened by the pool fill
        db.fetch_all(db.text("SELECT SLEEP(3)"))  # DB_QUERY_TIMEOUT is 1 s
    except Exception as error:
        print(calls, type(error).__name__)
"""
    )
    assert (calls, error) == ("1", "OperationalError")


def test_rows_come_out_in_utc_whatever_the_server_zone() -> None:
    name = f"tz-{uuid.uuid4().hex}"
    (body,), _ = run_service(
        f"""
        admin.query("SET time_zone = '+05:00'")
        admin.query(
            "INSERT INTO demo_data (name, create_time, update_time) VALUES "
            "('{name}', '2024-08-20 06:00:00', NULL), ('{name.upper()}', NULL, NULL)"
        )
        try:
            print(client.get("/demo?name={name}").get_data(as_text=True))
        finally:
            admin.query("DELETE FROM demo_data WHERE name = '{name}'")
        """
    )
    first, second = json.loads(body)
    assert first["id"] < second["id"]
    assert first == {
        "id": first["id"],
        "name": name,
        "create_time": "2024-08-20T01:00:00Z",
        "update_time": None,
    }
    assert second["name"] == name.upper()  # the collation's match, in id order


def test_database_errors_are_503_and_one_warning_line() -> None:
    (status, body), log = run_service(
        """
        db.LOOKUP = db.text("SELECT * FROM no_such_table WHERE name = :name")  # 1146
        response = client.get("/demo?name=x")
        print(response.status_code, response.get_data(as_text=True).replace(" ", ""))
        """
    )
    assert (status, json.loads(body)["error"]) == ("503", "database_unavailable")
    (line,) = [line for line in log if "WARNING" in line or "ERROR" in line]
    assert "WARNING app: database unavailable: ProgrammingError (1146): " in line
    assert "Traceback" not in line


def test_ssl_mode_required_refuses_a_server_without_tls() -> None:
    # The test server offers no TLS: MariaDB Connector/C alone would connect in the clear.
    (status, code), log = run_service(
        """
        response = client.get("/demo?name=x")
        print(response.status_code, response.json["error"])
        """,
        url=f"{DATABASE}?ssl-mode=REQUIRED",
    )
    assert (status, code) == ("503", "database_unavailable")
    assert log[-1].endswith("OperationalError (2026): TLS required, but the server has none")
