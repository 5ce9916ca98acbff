"""/idle, /healthz and /readyz: small constant JSON answers."""

from __future__ import annotations

import pytest

from contract.spec import JSON
from contract.tests.conftest import Deployment


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/idle", {"status": "idle"}),
        ("/healthz", {"status": "ok"}),
        ("/readyz", {"status": "ready"}),
    ],
)
def test_probe(service: Deployment, path: str, body: dict[str, str]) -> None:
    with service.client() as client:
        response = client.get(path)
        head = client.head(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert response.json() == body
    assert head.status_code == 200
    assert head.content == b""


def test_idle_and_healthz_never_touch_the_database(service: Deployment) -> None:
    service.proxy.cut()
    with service.client() as client:
        assert client.get("/idle").json() == {"status": "idle"}
        assert client.get("/healthz").json() == {"status": "ok"}
