"""One worker really serves many requests at once, and never holds more connections than its pool.

The cooperation test is the proof that greenify works for the gevent services (and that nothing
blocks the event loop for the asyncio ones): with latency added between the service and MySQL,
N concurrent lookups must take about one round trip, not N.
"""

from __future__ import annotations

import json
import time

from contract.client import burst, demo_path
from contract.database import Database
from contract.fixtures import PROBE_NAMES
from contract.tests.conftest import POOL_SIZE, Deployer, Deployment

DELAY = 0.25
CONCURRENT = 8  # below the pool size: the test is about the worker, not the pool
LOAD = 300
COLD_START = 64


def test_one_worker_waits_on_the_database_concurrently(service: Deployment) -> None:
    paths = [demo_path("dup")] * CONCURRENT
    service.warm(CONCURRENT)
    service.proxy.delay = DELAY
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        answers = burst(service.url, paths)
        timings.append(time.perf_counter() - started)
        assert all(a.status == 200 for a in answers)
    elapsed = min(timings)
    assert elapsed >= DELAY  # the latency really was in the path
    # Serialised, this takes CONCURRENT x DELAY = 2 s; cooperative, about one DELAY.
    assert elapsed < DELAY * CONCURRENT / 2, f"{timings} s for {CONCURRENT} lookups"


def test_load_is_correct_and_bounded_by_the_pool(service: Deployment, database: Database) -> None:
    names = [PROBE_NAMES[i % len(PROBE_NAMES)] for i in range(LOAD)]
    expected = {name: database.lookup(name) for name in set(names)}
    with service.connection_peak() as peak:
        answers = burst(service.url, [demo_path(name) for name in names])
    assert [a.status for a in answers] == [200] * LOAD
    assert all(json.loads(a.body) == expected[name] for a, name in zip(answers, names, strict=True))
    assert 0 < peak.value <= POOL_SIZE, f"held {peak.value} connections with a pool of {POOL_SIZE}"
    assert service.held_connections() <= POOL_SIZE


def test_cold_start_under_concurrency(deployer: Deployer, service_name: str) -> None:
    # Ready as soon as it listens: its first database traffic is the burst itself.
    with deployer.deployed(service_name, wait_path="/healthz") as fresh:
        answers = burst(fresh.url, [demo_path("dup")] * COLD_START)
    assert [a.status for a in answers] == [200] * COLD_START
