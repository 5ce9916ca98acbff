"""Fixtures: the app under FastAPI's TestClient, with a database that is never there.

The smoke tests need no MySQL: DATABASE_URL points at a local port that is bound but not
listening, so every connect is refused at once (the contract's "database down" case).
https://fastapi.tiangolo.com/advanced/testing-events/ (the client runs the lifespan) and
https://fastapi.tiangolo.com/advanced/settings/ (settings from a fresh environment).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.config import get_settings
from app.main import app


@pytest.fixture(scope="session")
def refused_port() -> Iterator[int]:
    """A port on which connections are refused: bound, never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture(scope="session")
def client(refused_port: int) -> Iterator[TestClient]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", f"mysql://smoke:secret@127.0.0.1:{refused_port}/smoke")
        for name in ("DB_POOL_TIMEOUT", "DB_CONNECT_TIMEOUT", "DB_QUERY_TIMEOUT"):
            env.setenv(name, "1")
        get_settings.cache_clear()
        # As a context manager the client runs the lifespan: the pool exists as in production.
        with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
            yield client
    get_settings.cache_clear()
