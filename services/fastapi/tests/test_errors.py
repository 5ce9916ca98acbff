"""The error handlers on the real app: the contract's bodies, and one log line per 503."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.db import Pool
from app.deps import get_pool
from app.main import app

UNAVAILABLE = {"error": "database_unavailable", "detail": "The database is unavailable."}


@pytest.fixture
def broken_pool() -> Iterator[None]:
    """The pool dependency fails as a bug would (https://fastapi.tiangolo.com/advanced/testing-dependencies/)."""

    async def broken() -> Pool:
        raise RuntimeError("secret driver text")

    app.dependency_overrides[get_pool] = broken
    yield
    app.dependency_overrides.clear()


@pytest.mark.usefixtures("broken_pool")
@pytest.mark.parametrize("path", ["/demo?name=x", "/readyz"])
def test_unexpected_error_is_a_500_without_details(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "internal_error", "detail": "Internal server error."}
    assert "secret" not in response.text


def test_database_down_is_one_warning_line(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="app"):
        response = client.get("/demo?name=x")
    assert response.json() == UNAVAILABLE
    (record,) = [r for r in caplog.records if r.name.startswith("app")]
    assert (record.levelno, record.exc_info) == (logging.WARNING, None)
    message = record.getMessage()
    # The driver's class, code and message, in one line; never in the response.
    assert "\n" not in message
    assert message.startswith("GET /demo: database unavailable: OperationalError 2003: ")
    assert "Can't connect to MySQL server" not in response.text
