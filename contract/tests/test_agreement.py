"""The services side by side: the same request gets the same answer from every one of them."""

from __future__ import annotations

import json

import pytest

from contract.client import demo_path
from contract.fixtures import PROBE_NAMES
from contract.tests.conftest import Deployment

REQUESTS = [
    ("GET", "/idle"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("HEAD", "/demo?name=dup"),
    ("GET", "/demo?name="),
    ("GET", "/demo?name=%zz"),
    ("GET", "/demo?name=a&name=b"),
    ("GET", "/demo/"),
    ("GET", "/missing"),
    ("POST", "/demo"),
    ("OPTIONS", "/idle"),
    *(("GET", demo_path(name)) for name in PROBE_NAMES),
]


def _answer(service: Deployment, method: str, path: str) -> tuple[object, ...]:
    with service.client(follow_redirects=False) as client:
        response = client.request(method, path)
    body = json.loads(response.content) if response.content else None
    return (
        response.status_code,
        response.headers.get("content-type"),
        response.headers.get("allow"),
        body,
    )


@pytest.mark.parametrize(("method", "path"), REQUESTS, ids=ascii)
def test_every_service_answers_alike(
    all_services: list[Deployment], method: str, path: str
) -> None:
    answers = {service.name: _answer(service, method, path) for service in all_services}
    first = next(iter(answers.values()))
    assert all(answer == first for answer in answers.values()), answers
