"""Bad input and unknown routes: JSON errors, exactly as CONTRACT.md's table says."""

from __future__ import annotations

import pytest

from contract.spec import ALLOW, ENDPOINTS, ERRORS, JSON, MAX_NAME
from contract.tests.conftest import Deployment

BAD_QUERIES = {
    "invalid_query": [
        "/demo?name=%zz",
        "/demo?name=%",
        "/demo?name=abc%4",
        "/demo?name=%ff",  # not UTF-8
        "/demo?name=%c0%af",  # overlong "/"
        "/demo?name=%ed%a0%80",  # an encoded lone surrogate
        "/demo?other=%fe&name=ok",  # any parameter makes the query invalid
    ],
    "invalid_name": [
        "/demo?name=",
        "/demo?name",
        "/demo?name=a&name=b",
        "/demo?name=dup&name=dup",
        "/demo?name=a%00b",
        "/demo?name=" + "x" * (MAX_NAME + 1),
        "/demo?name=" + "%C3%A9" * (MAX_NAME + 1),  # 256 characters, 512 bytes
    ],
}


@pytest.mark.parametrize(
    ("code", "path"),
    [(code, path) for code, paths in BAD_QUERIES.items() for path in paths],
)
def test_bad_query_is_a_400(service: Deployment, code: str, path: str) -> None:
    expected = ERRORS[code]
    with service.client() as client:
        response = client.get(path)
    assert response.status_code == expected.status == 400
    assert response.headers["content-type"] == JSON
    assert response.json() == expected.body


def test_longest_name_is_accepted(service: Deployment) -> None:
    with service.client() as client:
        assert client.get("/demo?name=" + "%C3%A9" * MAX_NAME).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nope"), ("GET", "/demo/"), ("GET", "/"), ("POST", "/nope"), ("GET", "/DEMO")],
)
def test_unknown_path_is_a_404(service: Deployment, method: str, path: str) -> None:
    with service.client(follow_redirects=False) as client:
        response = client.request(method, path)
    assert response.status_code == 404
    assert response.headers["content-type"] == JSON
    assert response.json() == ERRORS["not_found"].body


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_are_a_405(service: Deployment, method: str, path: str) -> None:
    with service.client() as client:
        response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["content-type"] == JSON
    assert response.headers["allow"] == ALLOW
    assert response.json() == ERRORS["method_not_allowed"].body
