"""The error table and its handlers on the real app: bodies, statuses, one log line per 503."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.ext.asyncio import AsyncConnection

from app.deps import get_connection
from app.errors import Error
from app.main import app

QUERY_DETAIL = "The query string is not valid percent-encoded UTF-8."
NAME_DETAIL = "name must be given once, as 1 to 255 characters without NUL."
TABLE = {
    Error.INVALID_QUERY: (400, "invalid_query", QUERY_DETAIL),
    Error.INVALID_NAME: (400, "invalid_name", NAME_DETAIL),
    Error.NOT_FOUND: (404, "not_found", "No such endpoint."),
    Error.METHOD_NOT_ALLOWED: (405, "method_not_allowed", "Method not allowed."),
    Error.DATABASE_UNAVAILABLE: (503, "database_unavailable", "The database is unavailable."),
    Error.INTERNAL_ERROR: (500, "internal_error", "Internal server error."),
}


@pytest.mark.parametrize("error", list(Error))
def test_the_table(error: Error) -> None:
    status, code, detail = TABLE[error]
    assert (error.status, error.code, error.detail) == (status, code, detail)
    response = error.response()
    assert (response.status_code, response.media_type) == (status, "application/json")
    assert json.loads(bytes(response.body)) == {"error": code, "detail": detail}


@pytest.fixture
def broken_connection() -> Iterator[None]:
    """The connection dependency fails as a bug would
    (https://fastapi.tiangolo.com/advanced/testing-dependencies/)."""

    async def broken() -> AsyncIterator[AsyncConnection]:
        raise RuntimeError("secret driver text")
        yield  # a generator, as the dependency it replaces

    app.dependency_overrides[get_connection] = broken
    yield
    del app.dependency_overrides[get_connection]


@pytest.mark.usefixtures("broken_connection")
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
    assert response.json() == {
        "error": "database_unavailable",
        "detail": "The database is unavailable.",
    }
    (record,) = [r for r in caplog.records if r.name.startswith("app")]
    assert (record.levelno, record.exc_info) == (logging.WARNING, None)
    message = record.getMessage()
    # The driver's class, code and message, in one line; never in the response.
    assert "\n" not in message
    assert message.startswith("database unavailable: OperationalError (2003): Can't connect")
    assert "Can't connect" not in response.text
