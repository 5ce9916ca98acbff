"""The contract's answers that need no database, through Flask's test client."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.log import OneLineFormatter

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
def test_probes_without_database(client: FlaskClient, path: str, body: dict[str, str]) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.content_type == JSON
    assert response.get_json() == body
    head = client.head(path)
    assert (head.status_code, head.content_type, head.data) == (200, JSON, b"")


@pytest.mark.parametrize(
    "query",
    [
        "name=%zz",
        "name=%",
        "name=abc%4",
        "name=%ff",
        "name=%c0%af",  # overlong "/"
        "name=%ed%a0%80",  # encoded lone surrogate
        "other=%fe&name=ok",  # any parameter spoils the query
    ],
)
def test_invalid_query(client: FlaskClient, query: str) -> None:
    response = client.get(f"/demo?{query}")
    assert response.status_code == 400
    assert response.content_type == JSON
    assert response.get_json() == INVALID_QUERY


def test_raw_bytes_are_checked_as_utf8(client: FlaskClient) -> None:
    # What %C3 followed by a raw 0xA9 byte decodes to is "é": valid; a lone raw 0xFF is not.
    # (gunicorn itself refuses raw non-ASCII bytes in a request line.)
    def raw(query: bytes) -> object:
        # WSGI carries the query string's bytes as a latin-1 str.
        environ = {"QUERY_STRING": query.decode("latin-1")}
        return client.get("/demo", environ_overrides=environ).get_json()

    assert raw(b"name=\xff") == INVALID_QUERY
    assert raw(b"name=%C3\xa9") == UNAVAILABLE


@pytest.mark.parametrize(
    "query",
    [
        "name=",
        "name",
        "name=a&name=b",
        "name=dup&name=dup",
        "name=a%00b",
        "name=" + "x" * 256,
        "name=" + "%C3%A9" * 256,
    ],
)
def test_invalid_name(client: FlaskClient, query: str) -> None:
    response = client.get(f"/demo?{query}")
    assert response.status_code == 400
    assert response.content_type == JSON
    assert response.get_json() == INVALID_NAME


@pytest.mark.parametrize("path", ["/nope", "/demo/", "/", "/DEMO", "/idle/"])
@pytest.mark.parametrize("method", ["GET", "POST", "OPTIONS"])
def test_not_found(client: FlaskClient, method: str, path: str) -> None:
    response = client.open(path, method=method)
    assert response.status_code == 404
    assert response.content_type == JSON
    assert response.get_json() == {"error": "not_found", "detail": "No such endpoint."}


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_method_not_allowed(client: FlaskClient, method: str, path: str) -> None:
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert response.content_type == JSON
    assert response.headers["Allow"] == "GET, HEAD"
    assert response.get_json() == {"error": "method_not_allowed", "detail": "Method not allowed."}


@pytest.mark.parametrize("path", ["/demo?name=dup", "/demo", "/readyz"])
def test_database_down_is_a_503(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 503
    assert response.content_type == JSON
    assert response.get_json() == UNAVAILABLE


def test_unexpected_error_is_a_json_500_and_one_log_line(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("first line\nsecond line")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.content_type == JSON
    assert response.get_json() == {"error": "internal_error", "detail": "Internal server error."}
    (record,) = caplog.records
    line = OneLineFormatter().format(record)
    assert (
        "ERROR app: unexpected error on GET /boom: RuntimeError: first line second line at " in line
    )
    assert "test_endpoints.py:" in line and "\n" not in line


def test_database_down_is_one_warning_line(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert client.get("/demo?name=x").status_code == 503
    (record,) = caplog.records
    assert record.levelname == "WARNING"
    assert record.getMessage().startswith("database unavailable: OperationalError (200")
    assert record.exc_info is None
