"""Fixtures: the app under Starlette's TestClient, with a database that is never there.

The smoke tests need no MySQL: DATABASE_URL points at a closed local port, so the pool's
connects are refused at once. That is the contract's "database down" case too.
https://www.starlette.io/testclient/ and https://www.starlette.io/config/ ("Testing").
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.config import environ
from starlette.testclient import TestClient

# Set before app.settings reads them; starlette.config.environ refuses later changes.
environ["DATABASE_URL"] = "mysql://smoke:secret@127.0.0.1:9/smoke"
environ["DB_POOL_TIMEOUT"] = "1"
environ["DB_CONNECT_TIMEOUT"] = "1"
environ["DB_QUERY_TIMEOUT"] = "1"

from app.main import app  # noqa: E402


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    # As a context manager the client runs the lifespan: the pool exists as in production.
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client
