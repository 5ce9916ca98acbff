"""The service on a real MySQL server (TEST_DATABASE_URL), under gevent and greenify.

Each check runs the real settings and views in a fresh process through Django's test client,
after what gunicorn.conf.py's post_worker_init does: greenify, then the pool filled. The
database needs the demo_data table of the contract's schema; rows are added and removed by
the check that needs them. TEST_DATABASE_URL's user needs the PROCESS privilege (to KILL the
service's connections), e.g. mysql://root@127.0.0.1:3306/test.
"""

import json
import os
import textwrap
import uuid

import pytest

from tests.scripts import run_process

DATABASE = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(not DATABASE, reason="TEST_DATABASE_URL not set")

SERVICE = """
import os
from urllib.parse import unquote, urlsplit

import django
import MySQLdb

os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
django.setup()

from django.test import Client

from config.db.base import pooled, read

connection = pooled()

connection.open_pool(timeout=2)
client = Client(raise_request_exception=False)
url = urlsplit(os.environ["DATABASE_URL"])
admin = MySQLdb.connect(
    host=url.hostname, port=url.port or 3306, user=unquote(url.username),
    password=unquote(url.password or ""), database=url.path[1:], autocommit=True,
    connect_timeout=5, read_timeout=10, write_timeout=10,  # greenify needs them all
)


def kill_the_pool():
    ids = [c.thread_id() for c in connection.pool._idle]
    for thread_id in ids:
        admin.query(f"KILL {thread_id}")
    gevent.sleep(0.2)  # the server closes them
    return ids
"""


def run_service(
    script: str, gevent: bool = True, pool_size: int = 3, url: str = DATABASE
) -> tuple[list[str], list[str]]:
    """The script's output words, and the log lines it wrote (under gevent, or threads)."""
    env = {
        "DATABASE_URL": url,
        "DJANGO_SECRET_KEY": "tests-only-not-a-secret",
        "DB_POOL_SIZE": str(pool_size),
        "DB_QUERY_TIMEOUT": "1",
    }
    result = run_process(SERVICE + textwrap.dedent(script), greenify=gevent, gevent=gevent, env=env)
    return result.stdout.split(), result.stderr.splitlines()


@pytest.mark.parametrize("gevent", [True, False], ids=["gevent", "threads"])
def test_the_pool_is_full_before_the_first_request(gevent: bool) -> None:
    script = "print(len(connection.pool._idle))"
    (opened,), log = run_service(script, gevent=gevent, pool_size=10)
    assert opened == "10"
    (fill,) = [line for line in log if "database pool:" in line]
    assert " INFO config.db.base: database pool: opened 10 of 10 connections in " in fill


def test_killed_connections_are_replaced_and_the_lookups_succeed() -> None:
    (killed, survivors, *statuses), log = run_service(
        """
        killed = kill_the_pool()
        statuses = [client.get("/demo?name=x").status_code for _ in range(6)]
        # Every connection checked out from now on is a new one, whichever the pool hands out.
        handed_out = [connection.pool.acquire()[0].thread_id() for _ in range(3)]
        survivors = set(killed) & set(handed_out)
        print(len(killed), len(survivors), *statuses)
        """
    )
    assert (killed, survivors) == ("3", "0")
    assert statuses == ["200"] * 6
    assert not [line for line in log if " WARNING " in line or " ERROR " in line]


def test_a_connection_killed_after_checkout_is_retried_once() -> None:
    # Django's execute_wrapper() runs between checkout and the query: it KILLs the checked
    # out connection there, once. Without the retry the lookup is a 503.
    (status, killed, _idle), log = run_service(
        """
        killed = []


        def kill_once(execute, sql, params, many, context):
            if not killed:
                killed.append(context["connection"].connection.thread_id())
                admin.query(f"KILL {killed[0]}")
            return execute(sql, params, many, context)


        with connection.execute_wrapper(kill_once):
            status = client.get("/demo?name=x").status_code
        print(status, len(killed), len(connection.pool._idle))
        """
    )
    assert (status, killed) == ("200", "1")
    assert not [line for line in log if " WARNING " in line or " ERROR " in line]


def test_a_connection_killed_while_its_query_runs_is_retried_once() -> None:
    (calls, result), _ = run_service(
        """
        calls = 0


        def query():
            global calls
            calls += 1
            if calls == 1:
                gevent.spawn_later(0.1, admin.query, f"KILL {connection.connection.thread_id()}")
            with connection.cursor() as cursor:
                cursor.execute("SELECT SLEEP(0.3), 7")
                return cursor.fetchone()[1]


        result = read(query)
        print(calls, result)
        """
    )
    assert (calls, result) == ("2", "7")


def test_a_query_timeout_is_never_retried() -> None:
    (calls, error), _ = run_service(
        """
        calls = 0


        def query():
            global calls
            calls += 1
            with connection.cursor() as cursor:
                cursor.execute("SELECT SLEEP(3)")  # DB_QUERY_TIMEOUT is 1 s


        try:
            read(query)
        except Exception as error:
            print(calls, type(error).__name__)
        """
    )
    assert (calls, error) == ("1", "OperationalError")


def test_ssl_mode_required_refuses_a_server_without_tls() -> None:
    # The test server offers no TLS: MariaDB Connector/C alone would connect in the clear.
    (status, body), log = run_service(
        """
        response = client.get("/demo?name=x")
        print(response.status_code, response.json()["error"])
        """,
        url=f"{DATABASE}?ssl-mode=REQUIRED",
    )
    assert (status, body) == ("503", "database_unavailable")
    warnings = [line for line in log if " WARNING demo.errors: " in line]
    assert warnings[-1].endswith("OperationalError (2026): TLS required, but the server has none")


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
            print(client.get("/demo?name={name}").content.decode())
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
        from demo.models import DemoData

        DemoData._meta.db_table = "no_such_table"  # a ProgrammingError, 1146
        response = client.get("/demo?name=x")
        print(response.status_code, response.content.decode().replace(" ", ""))
        """
    )
    assert (status, json.loads(body)["error"]) == ("503", "database_unavailable")
    (line,) = [line for line in log if " WARNING " in line or " ERROR " in line]
    assert "WARNING demo.errors: database unavailable: ProgrammingError (1146): Table " in line
    assert "Traceback" not in line
