"""HTTP on the wire: HEAD, pipelining, the contract's limits, query separators, headers.

Sent and read as raw bytes where an HTTP client library would hide the detail under test.
"""

from __future__ import annotations

import json
import re

import httpx
import pytest

from contract.client import RawResponse, demo_path, exchange, read_responses
from contract.database import Database
from contract.spec import ERRORS, MAX_HEADER_FIELDS, MAX_REQUEST_LINE
from contract.tests.conftest import Deployment

HEAD_PATHS = ["/demo?name=dup", "/demo?name=", "/demo?name=%zz", "/idle", "/healthz", "/readyz"]
HEAD_PATHS += ["/nope"]
# A version number in a header value: gunicorn/27.0.1, uvicorn 0.30, Python/3.12, ...
VERSION = re.compile(r"\d+\.\d+|/\s*\d")
# Server: absent, or the one bare product name the contract allows (CONTRACT.md, "Headers":
# gunicorn cannot drop its own; uvicorn can, and does).
SERVER = "gunicorn"


def _request(target: str, *headers: str, method: str = "GET", close: bool = False) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", "Host: test", *headers]
    lines += ["Connection: close"] if close else []
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _comparable(response: httpx.Response) -> list[tuple[str, str]]:
    return sorted((k.lower(), v) for k, v in response.headers.multi_items() if k.lower() != "date")


@pytest.mark.parametrize("path", HEAD_PATHS)
def test_head_has_the_headers_of_get(service: Deployment, path: str) -> None:
    with service.client() as client:
        get = client.get(path)
        head = client.head(path)
    assert head.status_code == get.status_code
    assert _comparable(head) == _comparable(get)
    assert head.content == b""


def test_pipelined_requests_are_answered_in_order(service: Deployment, database: Database) -> None:
    def rows(name: str) -> tuple[int, object]:
        return 200, database.lookup(name)

    requests: list[tuple[str, str, tuple[int, object]]] = [
        ("GET", demo_path("dup"), rows("dup")),
        ("GET", "/nope", (404, ERRORS["not_found"].body)),
        ("HEAD", demo_path("fixed"), (200, None)),
        ("GET", "/demo?name=", (400, ERRORS["invalid_name"].body)),
        ("GET", demo_path("a"), rows("a")),
        ("GET", "/idle", (200, {"status": "idle"})),
        ("GET", "/demo?name=%zz", (400, ERRORS["invalid_query"].body)),
        ("GET", "/demo?name=space+inside", rows("space inside")),
        ("GET", demo_path("Case"), rows("Case")),
    ]
    raw = b"".join(
        _request(target, method=method, close=i == len(requests) - 1)
        for i, (method, target, _) in enumerate(requests)
    )
    responses = read_responses(exchange(service.running.address, raw), [m for m, _, _ in requests])
    got = [(r.status, json.loads(r.body) if r.body else None) for r in responses]
    assert got == [expected for _, _, expected in requests]


def _answers_dup(service: Deployment, database: Database, raw: bytes) -> None:
    (response,) = read_responses(exchange(service.running.address, raw), ["GET"])
    assert response.status == 200, response.body
    assert json.loads(response.body) == database.lookup("dup")


def test_longest_request_line(service: Deployment, database: Database) -> None:
    head = f"GET {demo_path('dup')}&pad= HTTP/1.1"
    target = f"{demo_path('dup')}&pad={'x' * (MAX_REQUEST_LINE - 2 - len(head))}"
    raw = _request(target, close=True)
    assert len(raw.split(b"\r\n")[0]) + 2 == MAX_REQUEST_LINE  # its CRLF included
    _answers_dup(service, database, raw)


def test_most_header_fields(service: Deployment, database: Database) -> None:
    fields = [f"X-Field-{i}: {i}" for i in range(MAX_HEADER_FIELDS - 2)]  # and Host, Connection
    raw = _request(demo_path("dup"), *fields, close=True)
    assert raw.count(b"\r\n") - 2 == MAX_HEADER_FIELDS
    _answers_dup(service, database, raw)


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("name=dup;name=dup", "dup;name=dup"),  # once, with a ";" in it: not a duplicate
        ("name=dup;x=1&y=2", "dup;x=1"),
        ("x=1;name=dup&name=a%3Bb", "a;b"),  # "x=1;name=dup" is one ignored parameter
        ("name=a%26b", "a&b"),  # an encoded "&" separates nothing
    ],
)
def test_only_ampersand_separates_parameters(
    service: Deployment, database: Database, query: str, name: str
) -> None:
    with service.client() as client:
        response = client.get(f"/demo?{query}")
    assert response.status_code == 200, response.text
    assert response.json() == database.lookup(name)


def _headers_of_every_kind(service: Deployment) -> dict[str, list[tuple[str, str]]]:
    """The headers of each kind of answer: the app's, the server's own 400, a 503."""
    found = {}
    with service.client() as client:
        for method, path in [
            ("GET", demo_path("dup")),
            ("HEAD", "/idle"),
            ("GET", "/healthz"),
            ("GET", "/nope"),
            ("POST", "/demo"),
            ("GET", "/demo?name="),
        ]:
            response = client.request(method, path)
            found[f"{method} {path}"] = list(response.headers.multi_items())
        raw: RawResponse = read_responses(
            exchange(service.running.address, _request("/idle", method="G(E)T", close=True)),
            ["GET"],
        )[0]
        found["bad method token"] = raw.headers
        service.proxy.cut()
        response = client.get("/readyz")
        assert response.status_code == 503
        found["GET /readyz, database down"] = list(response.headers.multi_items())
    return found


def test_no_header_names_a_version_or_the_server(service: Deployment) -> None:
    for answer, headers in _headers_of_every_kind(service).items():
        for key, value in headers:
            if key.lower() == "date":
                continue
            assert not VERSION.search(value), f"{answer}: {key}: {value}"
            if key.lower() == "server":
                assert value == SERVER, f"{answer}: {key}: {value}"
            assert key.lower() != "x-powered-by", f"{answer}: {key}: {value}"
