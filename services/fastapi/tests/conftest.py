"""Fixtures: the app under FastAPI's TestClient, a real MySQL, and the real server.

- ``client``: the app with a database that is never there (its settings, overridden as
  https://fastapi.tiangolo.com/advanced/settings/ shows, point at a port that refuses).
- ``database_url``, ``scratch``: TEST_DATABASE_URL, an empty database holding the
  ``demo_data`` table (``nox -s service`` provides one); the tests that need it skip without.
- ``server``: ``python -m app``, the image's command, as a process on a free port.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx2
import pymysql
import pytest
from fastapi.testclient import TestClient

from app.config import Settings, get_settings
from app.main import app

SERVICE = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0

type Scratch = pymysql.connections.Connection[pymysql.cursors.Cursor]


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def refused_port() -> Iterator[int]:
    """A port on which connections are refused: bound, never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture(scope="session")
def refused_url(refused_port: int) -> str:
    return f"mysql://smoke:secret@127.0.0.1:{refused_port}/smoke"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Settings read afresh from what the test sets (short deadlines unless it says otherwise)."""
    for name in ("DB_POOL_TIMEOUT", "DB_CONNECT_TIMEOUT", "DB_QUERY_TIMEOUT"):
        monkeypatch.setenv(name, "1")
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def settings(url: str, **values: object) -> Settings:
    """Settings as given, with short deadlines; nothing read from the environment."""
    deadlines = dict.fromkeys(("DB_POOL_TIMEOUT", "DB_CONNECT_TIMEOUT", "DB_QUERY_TIMEOUT"), 1)
    return Settings.model_validate({"DATABASE_URL": url, **deadlines, **values})


@pytest.fixture(scope="session")
def client(refused_url: str) -> Iterator[TestClient]:
    app.dependency_overrides[get_settings] = lambda: settings(refused_url)
    # As a context manager the client runs the lifespan: the pool exists as in production.
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client
    app.dependency_overrides.clear()


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
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app"],
        cwd=SERVICE,
        env={**os.environ, **env, "PORT": str(port)},
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
