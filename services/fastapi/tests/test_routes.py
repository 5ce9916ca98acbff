"""The answers that need no database, through FastAPI's TestClient (the database is down)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.query import MAX_NAME

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
NOT_FOUND = {"error": "not_found", "detail": "No such endpoint."}
METHOD_NOT_ALLOWED = {"error": "method_not_allowed", "detail": "Method not allowed."}
UNAVAILABLE = {"error": "database_unavailable", "detail": "The database is unavailable."}


@pytest.mark.parametrize(
    ("path", "body"), [("/idle", {"status": "idle"}), ("/healthz", {"status": "ok"})]
)
def test_database_free_endpoints(client: TestClient, path: str, body: dict[str, str]) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert response.json() == body


@pytest.mark.parametrize("path", ["/idle", "/healthz", "/readyz", "/nope"])
def test_head_has_the_get_headers_and_no_body(client: TestClient, path: str) -> None:
    get, head = client.get(path), client.head(path)
    assert head.status_code == get.status_code
    assert head.headers["content-type"] == JSON
    assert head.headers["content-length"] == get.headers["content-length"]
    assert head.content == b""


@pytest.mark.parametrize("path", ["/readyz", "/demo", "/demo?name=x", "/demo?name=%C3%A9"])
def test_database_down_is_a_503(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 503
    assert response.headers["content-type"] == JSON
    assert response.json() == UNAVAILABLE


@pytest.mark.parametrize("path", ["/nope", "/demo/", "/", "/DEMO", "/idle/", "/docs", "/redoc"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_path_is_a_404_never_a_redirect(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 404
    assert response.headers["content-type"] == JSON
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_are_a_405(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["content-type"] == JSON
    assert response.headers["allow"] == "GET, HEAD"
    assert response.json() == METHOD_NOT_ALLOWED


@pytest.mark.parametrize(
    "query",
    [
        "name=%zz",
        "name=%",
        "name=abc%4",
        "name=%ff",  # not UTF-8
        "name=%c0%af",  # an overlong "/"
        "name=%ed%a0%80",  # an encoded lone surrogate
        "other=%fe&name=ok",  # any parameter makes the whole query invalid
    ],
)
def test_invalid_query_is_a_400(client: TestClient, query: str) -> None:
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
        "name=" + "x" * (MAX_NAME + 1),
        "name=" + "%C3%A9" * (MAX_NAME + 1),  # 256 characters in 512 bytes
    ],
)
def test_invalid_name_is_a_400(client: TestClient, query: str) -> None:
    response = client.get(f"/demo?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == JSON
    assert response.json() == INVALID_NAME


def test_longest_name_reaches_the_database(client: TestClient) -> None:
    # Valid, so it is looked up: with the database down that is a 503, not a 400.
    assert client.get("/demo?name=" + "%C3%A9" * MAX_NAME).status_code == 503
