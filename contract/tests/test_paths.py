"""How a request's path is matched (CONTRACT.md, "Paths"): once percent-decoded, then exactly.

Sent as raw bytes, since an HTTP client library normalises some of these forms itself.
"""

from __future__ import annotations

import json

import pytest

from contract.client import exchange, read_responses
from contract.spec import ERRORS, JSON
from contract.tests.conftest import Deployment

# Targets that name an endpoint once their path is percent-decoded: the endpoint they name.
SAME = {
    "/%64emo?name=dup": "/demo?name=dup",  # an encoded letter
    "/de%6Do?name=dup": "/demo?name=dup",  # lower-case hex digits
    "/%64%65%6D%6F?name=dup": "/demo?name=dup",  # all of it
    "/%69dle": "/idle",
    "/health%7A": "/healthz",
}
# Targets that differ from an endpoint only in how the path is written: all 404.
OTHER = [
    "//demo",  # repeated slashes
    "/demo//",
    "///idle",
    "/./demo",  # dot segments
    "/demo/.",
    "/x/../demo",
    "/demo/../demo",
    "/%2e/demo",  # an encoded dot segment
    "/demo.",  # a trailing dot
    "/DEMO",  # case
    "/Demo",
    "/IDLE",
    "/demo/",  # a trailing slash
    "/idle/",
    "/healthz/",
    "/demo%2F",  # an encoded slash
    "/demo%2f",
    "/%2Fdemo",
    "/%2564emo",  # encoded twice: one decoding gives /%64emo
    "/demo%20",  # an encoded space
    "/demo;x=1",  # a path parameter
    "/demo%3Fname=dup",  # an encoded "?" is part of the path
]


def _get(service: Deployment, target: str) -> tuple[int, str | None, object]:
    request = f"GET {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode()
    (response,) = read_responses(exchange(service.running.address, request), ["GET"])
    return response.status, response.header("content-type"), json.loads(response.body)


@pytest.mark.parametrize("target", SAME)
def test_one_percent_decoding_names_the_endpoint(service: Deployment, target: str) -> None:
    assert _get(service, target) == _get(service, SAME[target])
    assert _get(service, target)[0] == 200


@pytest.mark.parametrize("target", OTHER)
def test_any_other_spelling_is_not_found(service: Deployment, target: str) -> None:
    assert _get(service, target) == (404, JSON, ERRORS["not_found"].body)
