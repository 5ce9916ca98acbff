"""The exception handlers on their own: an unexpected error is the contract's 500 body."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.errors import EXCEPTION_HANDLERS


def test_unexpected_error_is_a_500_without_details() -> None:
    app = FastAPI(exception_handlers=EXCEPTION_HANDLERS, openapi_url=None)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret driver text")

    # The handler answers; Starlette then re-raises for the server's log, which the test
    # client would turn into a test failure unless told not to.
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "internal_error", "detail": "Internal server error."}
    assert "secret" not in response.text
