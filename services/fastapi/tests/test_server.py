"""``python -m app``, the image's command, as a real server on the test database.

Paths, headers and logs as the contract wants them from the server that production runs:
uvicorn with httptools, its settings from app.__main__.
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from app.__main__ import GRACEFUL_SHUTDOWN_SECONDS
from tests.conftest import SERVICE, Scratch, Server, start_server

FILL = r"INFO app.db: database pool: opened 10 of 10 connections in \d+\.\d\d s"


def get(server: Server, target: str, method: str = "GET") -> http.client.HTTPResponse:
    """One request with ``target`` sent exactly as written (no client-side normalisation)."""
    url = urlsplit(server.url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    connection.request(method, target)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


# Decision: matched after exactly one percent-decoding, exactly, case-sensitively.
@pytest.mark.parametrize("target", ["/demo?name=x", "/%64emo?name=x", "/%69dle", "/idl%65"])
def test_paths_after_one_percent_decoding(server: Server, target: str) -> None:
    assert get(server, target).status == 200


@pytest.mark.parametrize(
    "target",
    [
        "//demo", "/./demo", "/x/../demo", "/demo.", "/DEMO", "/demo/", "/demo%2F", "/demo%2f",
        "/%2564emo", "//idle", "/idle/", "/./idle", "/Idle",
    ],
)  # fmt: skip
def test_nothing_else_is_normalised(server: Server, target: str) -> None:
    response = get(server, target)
    assert (response.status, response.getheader("location")) == (404, None)


@pytest.mark.parametrize("target", ["/demo?name=x", "/idle", "/readyz", "/nope"])
def test_no_server_header_and_head_is_get(server: Server, target: str) -> None:
    got, head = get(server, target), get(server, target, "HEAD")
    # No Server header, nothing that could carry a version.
    assert {name.lower() for name, _ in got.getheaders()} == {
        "date",
        "content-length",
        "content-type",
    }
    assert sorted(head.getheaders()) == sorted(got.getheaders())
    assert head.status == got.status


def test_graceful_shutdown_outlasts_the_slowest_request() -> None:
    # DB_POOL_TIMEOUT + DB_CONNECT_TIMEOUT + DB_QUERY_TIMEOUT with the defaults: 12 s.
    assert GRACEFUL_SHUTDOWN_SECONDS == 20


@pytest.fixture
def no_table(scratch: Scratch) -> Iterator[None]:
    """The table gone (renamed) while the test runs: the server answers ER_NO_SUCH_TABLE."""
    away = "demo_data_moved_by_test"
    with scratch.cursor() as cursor:
        cursor.execute(f"RENAME TABLE demo_data TO {away}")
    try:
        yield
    finally:
        with scratch.cursor() as cursor:
            cursor.execute(f"RENAME TABLE {away} TO demo_data")


def test_logs_one_line_per_event_on_stderr(database_url: str, no_table: None) -> None:
    server = start_server({"DATABASE_URL": database_url, "ACCESS_LOG": "true"})
    try:
        statuses = [get(server, path).status for path in ("/demo?name=x", "/readyz", "/idle")]
    finally:
        stdout, stderr = server.stop()
    assert statuses == [503, 503, 200]
    assert stdout == ""  # everything goes to stderr
    lines = [line.split(" ", 1)[1] for line in stderr.splitlines()]  # without the time
    assert [line for line in lines if line.startswith("INFO app.db: ")] == [
        line for line in lines if re.fullmatch(FILL, line)
    ]
    assert "INFO uvicorn.error: Application startup complete." in lines
    assert lines[-1].startswith("INFO uvicorn.error: Finished server process")
    warnings = [line for line in lines if line.startswith("WARNING")]
    # A ProgrammingError is "database unavailable" too.
    prefix = "WARNING app.errors: database unavailable: ProgrammingError (1146): "
    assert len(warnings) == 2
    assert all(warning.startswith(prefix) for warning in warnings)
    assert sum('"GET /idle HTTP/1.1" 200' in line for line in lines) == 1  # the access log
    assert all(line.startswith(("INFO ", "WARNING ")) for line in lines)


@pytest.mark.parametrize(
    ("variable", "value"), [("PORT", "99999"), ("DATABASE_URL", "mysql://u:secret@db/x?a=b")]
)
def test_a_refused_setting_stops_the_process_with_one_line(variable: str, value: str) -> None:
    env = {**os.environ, "DATABASE_URL": "mysql://u@db/x", variable: value}
    done = subprocess.run(
        [sys.executable, "-m", "app"], cwd=SERVICE, env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert re.fullmatch(rf"\S+ CRITICAL app: invalid configuration: {variable}: .+", line)
    assert "secret" not in line
