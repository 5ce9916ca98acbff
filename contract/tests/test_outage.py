"""The database going away and coming back: fast 503s, each logged on one line, a live worker,
and recovery by itself."""

from __future__ import annotations

import time

import httpx

from contract.client import demo_path
from contract.spec import ERRORS, JSON
from contract.tests.conftest import (
    CONNECT_TIMEOUT,
    FAIL_BOUND,
    POOL_TIMEOUT,
    Deployer,
    Deployment,
    LogWatch,
    assert_one_line_events,
)

# Worst case for a request while the database is gone: a pool wait, then a connect attempt.
BOUND = POOL_TIMEOUT + CONNECT_TIMEOUT + 1.0
# Once it is back: a request in flight may still fail, within its own worst case.
RECOVERY = 2 * FAIL_BOUND


def _assert_unavailable(client: httpx.Client, path: str) -> None:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - started
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == JSON
    assert response.json() == ERRORS["database_unavailable"].body
    assert elapsed < BOUND, f"{path} took {elapsed:.1f} s to fail"


def _wait_for(client: httpx.Client, path: str) -> float:
    """Seconds until ``path`` answers 200 again; fails after RECOVERY seconds."""
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < RECOVERY:
        if client.get(path).status_code == 200:
            return elapsed
        time.sleep(0.1)
    raise AssertionError(f"{path} did not recover within {RECOVERY:.0f} s")


def test_outage_gives_503_and_recovers(service: Deployment) -> None:
    with service.client() as client:
        assert client.get(demo_path("dup")).status_code == 200  # pooled connections exist
        watch = LogWatch(service.running.log)
        service.proxy.cut()  # every pooled connection is now broken
        for _ in range(3):
            _assert_unavailable(client, demo_path("dup"))
        _assert_unavailable(client, "/readyz")
        assert client.get("/healthz").status_code == 200  # the worker is alive
        lines = watch.wait_for("WARNING", 4)
        assert_one_line_events(lines)
        assert sum("WARNING" in line for line in lines) == 4, lines  # one per 503
        service.proxy.restore()
        _wait_for(client, demo_path("dup"))
        assert [client.get(demo_path("dup")).status_code for _ in range(20)] == [200] * 20


def test_starts_while_the_database_is_down(deployer: Deployer, service_name: str) -> None:
    down = deployer.deployed(service_name, wait_path="/healthz", database_down=True)
    with down as fresh, fresh.client() as client:
        _assert_unavailable(client, "/readyz")
        fresh.proxy.restore()
        _wait_for(client, "/readyz")
        assert client.get(demo_path("dup")).status_code == 200
