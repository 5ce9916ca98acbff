"""Smoke tests of the contract's database-free answers, through Starlette's TestClient."""

from __future__ import annotations

import logging
import re

import pytest
from starlette.testclient import TestClient

from app.db import Pool
from app.query import ALPHABET, random_name

JSON = "application/json"
ENDPOINTS = ["/demo", "/idle", "/healthz", "/readyz"]
INVALID_QUERY = {
    "error": "invalid_query",
    "detail": "The query string is not valid percent-encoded UTF-8.",
}
INVALID_NAME = {
    "error": "invalid_name",
    "detail": "name must be given once, as 1 to 255 characters without NUL.",
}
UNAVAILABLE = {"error": "database_unavailable", "detail": "The database is unavailable."}


@pytest.mark.parametrize(
    ("path", "body"), [("/idle", {"status": "idle"}), ("/healthz", {"status": "ok"})]
)
def test_database_free_endpoints(client: TestClient, path: str, body: dict[str, str]) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert response.json() == body


def test_head_has_get_headers_and_no_body(client: TestClient) -> None:
    get, head = client.get("/idle"), client.head("/idle")
    assert head.status_code == 200
    assert head.headers["content-type"] == JSON
    assert head.headers["content-length"] == get.headers["content-length"]


@pytest.mark.parametrize("path", ["/nope", "/demo/", "/", "/DEMO", "/idle/"])
@pytest.mark.parametrize("method", ["GET", "POST", "HEAD"])
def test_unknown_path_is_a_404_never_a_redirect(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 404
    assert response.headers["content-type"] == JSON
    if method != "HEAD":
        assert response.json() == {"error": "not_found", "detail": "No such endpoint."}


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_are_a_405(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["content-type"] == JSON
    assert response.headers["allow"] == "GET, HEAD"
    assert response.json() == {"error": "method_not_allowed", "detail": "Method not allowed."}


@pytest.mark.parametrize(
    "query",
    [
        "name=%zz",
        "name=%",
        "name=abc%4",
        "name=%ff",  # not UTF-8
        "name=%c0%af",  # overlong "/"
        "name=%ed%a0%80",  # an encoded lone surrogate
        "other=%fe&name=ok",  # any parameter spoils the query
    ],
)
def test_invalid_query(client: TestClient, query: str) -> None:
    response = client.get(f"/demo?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == JSON
    assert response.json() == INVALID_QUERY


@pytest.mark.parametrize(
    "query",
    [
        "name=",
        "name",
        "name=a&name=b",
        "name=a%00b",
        "name=" + "x" * 256,
        "name=" + "%C3%A9" * 256,  # 256 characters, 512 bytes
    ],
)
def test_invalid_name(client: TestClient, query: str) -> None:
    response = client.get(f"/demo?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == JSON
    assert response.json() == INVALID_NAME


@pytest.mark.parametrize("path", ["/readyz", "/demo?name=dup", "/demo", "/demo?other=x"])
def test_database_down_is_a_503(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 503
    assert response.headers["content-type"] == JSON
    assert response.json() == UNAVAILABLE


def test_random_names_are_the_blogs() -> None:
    names = [random_name() for _ in range(500)]
    assert all(1 <= len(name) <= 253 for name in names)
    assert all(re.fullmatch(f"[{re.escape(ALPHABET)}]+", name) for name in names)


def test_unexpected_error_is_a_bare_500(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Pool, "lookup", broken)
    response = client.get("/demo?name=dup")
    assert response.status_code == 500
    assert response.headers["content-type"] == JSON
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
    assert message.startswith("database unavailable: OperationalError (2003): ")
    assert "Can't connect to MySQL server" not in response.text
