"""The endpoints through Django's test client, with no database server behind them."""

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from config.logs import OneLineFormatter
from demo import views

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
DATABASE_UNAVAILABLE = {
    "error": "database_unavailable",
    "detail": "The database is unavailable.",
}


@pytest.mark.parametrize(
    ("path", "body"), [("/idle", {"status": "idle"}), ("/healthz", {"status": "ok"})]
)
def test_probes_answer_without_the_database(client: Client, path: str, body: object) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == JSON
    assert response.json() == body
    head = client.head(path)
    assert head.status_code == 200
    assert head["Content-Type"] == JSON
    assert head.content == b""


@pytest.mark.parametrize("path", ["/demo", "/readyz", "/demo?name=dup"])
def test_database_down_is_503(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 503
    assert response["Content-Type"] == JSON
    assert response.json() == DATABASE_UNAVAILABLE


@pytest.mark.parametrize("path", ["/", "/nope", "/demo/", "/idle/", "/DEMO", "/demo/x"])
@pytest.mark.parametrize("method", ["get", "head", "post", "options"])
def test_unknown_paths_are_404(client: Client, path: str, method: str) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == JSON
    if method != "head":
        assert response.json() == NOT_FOUND


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options", "trace"])
def test_other_methods_are_405(client: Client, path: str, method: str) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert response["Content-Type"] == JSON
    assert response.json() == METHOD_NOT_ALLOWED


@pytest.mark.parametrize(
    "query",
    [
        "name=%",
        "name=%4",
        "name=%zz",
        "name=ok&x=%g0",
        "name=%FF",
        "name=%C0%AF",  # overlong "/"
        "name=%ED%A0%80",  # an encoded surrogate
        "x=%E2%82",  # truncated, in another parameter: the whole query is invalid
    ],
)
def test_invalid_query(client: Client, query: str) -> None:
    response = client.get(f"/demo?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == JSON
    assert response.json() == INVALID_QUERY


def test_raw_bytes_that_are_not_utf8_are_an_invalid_query(client: Client) -> None:
    # WSGI passes raw bytes as latin-1 text: b"\xff" arrives as "\xff".
    response = client.generic("GET", "/demo", QUERY_STRING="name=\xff")
    assert response.status_code == 400
    assert response.json() == INVALID_QUERY


@pytest.mark.parametrize(
    "query",
    [
        "name=",
        "name",
        "name=a&name=b",
        "name=a&na%6De=b",
        "name=%00",
        "name=a%00b",
        "name=" + "x" * 256,
    ],
)
def test_invalid_name(client: Client, query: str) -> None:
    response = client.get(f"/demo?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == JSON
    assert response.json() == INVALID_NAME


@pytest.mark.parametrize(
    "query", ["name=" + "x" * 255, "name=" + "%F0%9F%98%80" * 255, "other=1&name=a+b", "other="]
)
def test_valid_names_reach_the_database(client: Client, query: str) -> None:
    # Valid, so the lookup runs, and with no database behind it that is a 503.
    assert client.get(f"/demo?{query}").status_code == 503


class Lines(logging.Handler):
    """The records of every logger, formatted as the service formats them (settings.py)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(OneLineFormatter("[%(levelname)s] %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log() -> Iterator[Lines]:
    lines = Lines()
    logging.getLogger().addHandler(lines)  # every logger propagates to the root
    yield lines
    logging.getLogger().removeHandler(lines)


def test_a_503_is_one_warning_line(client: Client, log: Lines) -> None:
    assert client.get("/demo?name=x").status_code == 503
    (line,) = log.lines
    assert line.startswith("[WARNING] demo.errors: database unavailable: OperationalError (20")


def test_unexpected_errors_are_500_and_one_error_line(
    client: Client, monkeypatch: pytest.MonkeyPatch, log: Lines
) -> None:
    def broken(query: bytes) -> str:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(views, "parse_name", broken)
    response = client.get("/demo?name=x")
    assert response.status_code == 500
    assert response["Content-Type"] == JSON
    assert response.json() == {"error": "internal_error", "detail": "Internal server error."}
    (line,) = log.lines
    assert line.startswith("[ERROR] django.request: Internal Server Error: /demo: ")
    assert line.endswith(f"RuntimeError: boom second line at {__file__}:{broken_line()}")


def broken_line() -> int:
    """The line of ``raise RuntimeError`` above."""
    source = Path(__file__).read_text().splitlines()
    return next(n for n, text in enumerate(source, 1) if 'raise RuntimeError("boom' in text)
