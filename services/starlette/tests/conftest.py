"""Fixtures: the app under Starlette's TestClient, a real MySQL, and the real server.

- ``client``: the app with a database that is never there (DATABASE_URL points at a closed
  local port, so every connect is refused at once: the contract's "database down" case).
- ``database_url``, ``scratch``: TEST_DATABASE_URL, an empty database holding the
  ``demo_data`` table (``nox -s service`` provides one); the tests that need it skip without.
- ``server``: ``python -m app``, the image's command, as a process on a free port.

https://www.starlette.io/testclient/ and https://www.starlette.io/config/ ("Testing").
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx2
import pymysql
import pytest
from starlette.config import environ
from starlette.testclient import TestClient

# Set before app.settings reads them; starlette.config.environ refuses later changes.
REFUSED_URL = "mysql://smoke:secret@127.0.0.1:9/smoke"
TEST_SETTINGS = {
    "DATABASE_URL": REFUSED_URL,
    "DB_POOL_TIMEOUT": "1",
    "DB_CONNECT_TIMEOUT": "1",
    "DB_QUERY_TIMEOUT": "1",
}
environ.update(TEST_SETTINGS)

from app.main import app  # noqa: E402

SERVICE = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0

type Scratch = pymysql.connections.Connection[pymysql.cursors.Cursor]


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    # As a context manager the client runs the lifespan: the pool exists as in production.
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="session")
def database_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("TEST_DATABASE_URL is not set (nox -s service sets it)")
    return url


@pytest.fixture
def scratch(database_url: str) -> Iterator[Scratch]:
    """A plain connection to the test database, for setting up rows and killing connections."""
    url = urlsplit(database_url)
    connection = pymysql.connect(
        host=url.hostname or "127.0.0.1",
        port=url.port or 3306,
        user=unquote(url.username or ""),
        password=unquote(url.password or ""),
        database=url.path.lstrip("/"),
        autocommit=True,
    )
    with connection:
        yield connection


def execute(scratch: Scratch, sql: str, *args: Any) -> None:
    with scratch.cursor() as cursor:
        cursor.execute(sql, args)


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


@dataclass
class Server:
    """A started ``python -m app`` and where to reach it."""

    url: str
    process: subprocess.Popen[str]

    def stop(self) -> tuple[str, str]:
        """SIGTERM, as Kubernetes sends it; what the process wrote to stdout and stderr."""
        self.process.terminate()
        return self.process.communicate(timeout=30)


def start_server(env: dict[str, str]) -> Server:
    """``python -m app`` with the defaults (not this session's TEST_SETTINGS) and ``env``."""
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if k not in TEST_SETTINGS}
    process = subprocess.Popen(
        [sys.executable, "-m", "app"],
        cwd=SERVICE,
        env={**inherited, **env, "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = Server(f"http://127.0.0.1:{port}", process)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx2.get(f"{server.url}/healthz", timeout=1.0)
            return server
        except httpx2.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"python -m app did not start:\n{process.communicate()[1]}")


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[Server]:
    """``python -m app`` on the test database."""
    running = start_server({"DATABASE_URL": database_url})
    yield running
    if running.process.poll() is None:
        running.stop()
