"""A worker really serves many requests at once, and never holds more connections than its pool.

The cooperation test is the proof that greenify works in gevent mode (that nothing blocks the
event loop in asyncio, that the driver lets other threads run in thread mode): with latency
added between the service and MySQL, N concurrent lookups must take about one round trip, not
N. Its bound is relative to a single lookup timed in the same test, so it holds on a machine of
any speed.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

from contract.client import burst, demo_path
from contract.database import Database
from contract.fixtures import PROBE_NAMES
from contract.tests.conftest import CONNECT_TIMEOUT, POOL_SIZE, Deployer, Deployment, eventually

DELAY = 0.25
# Below the pool size, and so below WORKER_THREADS in thread mode (its default is the pool size):
# the test is about the worker, not the pool or the threads.
CONCURRENT = 8
LOAD = 300
COLD_START = 64
WORKERS = 2


def _assert_cooperative(service: Deployment, workers: int = 1) -> None:
    """CONCURRENT lookups at DELAY take about one lookup's time, not one per worker's share."""
    service.warm(CONCURRENT)
    service.proxy.delay = DELAY
    path = demo_path("dup")
    one = min(burst(service.url, [path])[0].seconds for _ in range(3))
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        answers = burst(service.url, [path] * CONCURRENT)
        timings.append(time.perf_counter() - started)
        assert all(a.status == 200 for a in answers)
    service.proxy.delay = 0.0
    elapsed = min(timings)
    assert one >= DELAY  # the latency really was in the path
    # Serialised in each worker, the burst takes CONCURRENT / workers lookups' time; cooperative,
    # about one. Half the serialised time tells the two apart; the best of three bursts rides
    # out a busy machine's pauses.
    serialised = one * CONCURRENT / workers
    assert elapsed < serialised / 2, f"{timings} s for {CONCURRENT} lookups; one: {one:.2f} s"


def test_one_worker_waits_on_the_database_concurrently(service: Deployment) -> None:
    _assert_cooperative(service)


def test_load_is_correct_and_bounded_by_the_pool(service: Deployment, database: Database) -> None:
    names = [PROBE_NAMES[i % len(PROBE_NAMES)] for i in range(LOAD)]
    expected = {name: database.lookup(name) for name in set(names)}
    with service.connection_peak() as peak:
        answers = burst(service.url, [demo_path(name) for name in names])
    assert [a.status for a in answers] == [200] * LOAD
    assert all(json.loads(a.body) == expected[name] for a, name in zip(answers, names, strict=True))
    assert 0 < peak.peak <= POOL_SIZE, f"held {peak.peak} connections with a pool of {POOL_SIZE}"
    assert service.held_connections() <= POOL_SIZE


def test_cold_start_under_concurrency(deployer: Deployer, service_name: str) -> None:
    # Ready as soon as it listens: its first database traffic is the burst itself.
    with deployer.deployed(service_name, wait_path="/healthz") as fresh:
        answers = burst(fresh.url, [demo_path("dup")] * COLD_START)
    assert [a.status for a in answers] == [200] * COLD_START


def _serving_processes(service: Deployment) -> set[int]:
    """The pids of the processes that hold an accepted client connection right now."""
    _, port = service.running.address
    return {
        process.pid
        for process in service.processes()
        for conn in process.net_connections(kind="tcp")
        if conn.laddr and conn.laddr.port == port and conn.status == "ESTABLISHED"
    }


def test_two_workers_both_serve_within_their_pools(deployer: Deployer, service_name: str) -> None:
    with deployer.deployed(
        service_name, wait_path="/healthz", WEB_CONCURRENCY=str(WORKERS)
    ) as fresh:
        # Each worker opens its own pool when it starts.
        assert eventually(
            lambda: fresh.held_connections() == WORKERS * POOL_SIZE, timeout=4 * CONNECT_TIMEOUT
        ), f"{fresh.held_connections()} connections, not {WORKERS} x {POOL_SIZE}"
        serving: set[int] = set()
        with fresh.connection_peak() as peak:
            fresh.proxy.delay = DELAY  # the lookups stay in flight while we look
            deadline = time.monotonic() + 30
            paths = [demo_path("dup")] * (WORKERS * POOL_SIZE)
            with ThreadPoolExecutor(1) as sender:
                while len(serving) < WORKERS and time.monotonic() < deadline:
                    answers = sender.submit(burst, fresh.url, paths)
                    while not answers.done():  # bounded by the burst's own timeout
                        serving |= _serving_processes(fresh)
                        time.sleep(0.02)
                    assert [a.status for a in answers.result()] == [200] * len(paths)
            fresh.proxy.delay = 0.0
        assert len(serving) == WORKERS, f"only {len(serving)} process(es) served"
        assert peak.peak <= WORKERS * POOL_SIZE, f"held {peak.peak} connections"
        _assert_cooperative(fresh, workers=WORKERS)
