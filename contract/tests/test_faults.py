"""Faults a production service meets: restarts, slow or stalled databases, exhausted pools,
shutdowns under load, long runs. Every figure a test measures is shown in the run's summary.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import psutil
import pytest

from contract.client import burst, demo_path
from contract.database import Database
from contract.tests.conftest import POOL_SIZE, TEST_ENV, Deployer, Deployment

Record = Callable[[str, str], None]
POOL_TIMEOUT = float(TEST_ENV["DB_POOL_TIMEOUT"])
QUERY_TIMEOUT = float(TEST_ENV["DB_QUERY_TIMEOUT"])
CONNECT_TIMEOUT = float(TEST_ENV["DB_CONNECT_TIMEOUT"])
# Worst case for one failing request (CONTRACT.md): a pool wait, a connect, a query.
FAIL_BOUND = POOL_TIMEOUT + CONNECT_TIMEOUT + QUERY_TIMEOUT + 1.0
RECOVERY = 5.0  # "within a few seconds of the database being back"
GRACE = 10.0  # the shutdown budget (Kubernetes gives 30 s by default)


@dataclass(frozen=True)
class Outcome:
    """One request of a steady load: when it ended, how, and how long it took."""

    ended: float
    status: int | str  # an HTTP status, or the name of the transport error
    seconds: float


class SteadyLoad:
    """``clients`` threads sending /demo lookups back to back until stopped (bounded)."""

    def __init__(self, url: str, clients: int = 8, limit: float = 60.0) -> None:
        self.url, self.limit = url, limit
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(clients)]

    def __enter__(self) -> SteadyLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _run(self) -> None:
        deadline = time.monotonic() + self.limit
        # A new connection per request: a refused connect is then told apart from a lost reply.
        with httpx.Client(
            base_url=self.url, timeout=30.0, limits=httpx.Limits(max_keepalive_connections=0)
        ) as client:
            while not self._stop.is_set() and time.monotonic() < deadline:
                started = time.monotonic()
                status: int | str
                try:
                    status = client.get(demo_path("dup")).status_code
                except httpx.TransportError as error:
                    status = type(error).__name__
                ended = time.monotonic()
                with self._lock:
                    self.outcomes.append(Outcome(ended, status, ended - started))

    def after(self, moment: float) -> list[Outcome]:
        with self._lock:
            return [o for o in self.outcomes if o.ended > moment]


def _eventually(check: Callable[[], bool], timeout: float = 3.0) -> bool:
    """Poll ``check`` until true (the server notices closed connections asynchronously)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _workers(service: Deployment) -> set[int]:
    return {p.pid for p in psutil.Process(service.running.pid).children(recursive=True)}


def _memory(service: Deployment) -> int:
    root = psutil.Process(service.running.pid)
    return sum(p.memory_info().rss for p in [root, *root.children(recursive=True)])


def test_database_restart_under_load(
    service: Deployment, database: Database, record: Record
) -> None:
    if database.process is None:
        pytest.skip("the database is DATABASE_URL's: the kit restarts only a server it started")
    workers = _workers(service)
    with SteadyLoad(service.url) as load:
        time.sleep(1.0)  # steady state before the fault
        database.process.restart()  # every connection closed, refused while down
        back = time.monotonic()
        deadline = back + RECOVERY + 3.0
        while time.monotonic() < deadline:  # bounded: watch the load recover
            time.sleep(0.2)
    outcomes = load.outcomes
    assert {o.status for o in outcomes} <= {200, 503}, Counter(o.status for o in outcomes)
    slow = [o for o in outcomes if o.status == 503 and o.seconds > FAIL_BOUND]
    assert not slow, f"503s should be fast: {slow[:3]}"
    failures_after = [o.ended - back for o in load.after(back) if o.status != 200]
    recovery = max(failures_after, default=0.0)
    assert recovery < RECOVERY, f"still failing {recovery:.1f} s after the database was back"
    assert [o.status for o in load.after(back + RECOVERY)] == [200] * len(
        load.after(back + RECOVERY)
    )
    assert _workers(service) == workers, "a worker died"
    lost = sum(o.status != 200 for o in outcomes)
    record("restart", f"{lost} of {len(outcomes)} failed (503), 200s again {recovery:.1f} s after")


def test_slow_and_stalled_database(service: Deployment, record: Record) -> None:
    service.warm(4)
    with service.client() as client:
        service.proxy.delay = 0.5  # slow, but within the query timeout
        started = time.perf_counter()
        assert client.get(demo_path("dup")).status_code == 200
        assert time.perf_counter() - started >= 0.5
        service.proxy.stall()  # the database stops answering, connections stay open
        answers = burst(service.url, [demo_path("dup")] * 4 + ["/healthz", "/idle"])
        assert [a.status for a in answers] == [503] * 4 + [200, 200]
        assert all(a.seconds < FAIL_BOUND for a in answers), [a.seconds for a in answers]
        stalled = max(a.seconds for a in answers[:4])
        service.proxy.restore()
        # No stuck connection went back to the pool: a full pool's worth of lookups all work.
        answers = burst(service.url, [demo_path("dup")] * POOL_SIZE)
        assert [a.status for a in answers] == [200] * POOL_SIZE
    assert service.held_connections() <= POOL_SIZE
    record("stall", f"503 after {stalled:.1f} s (query timeout {QUERY_TIMEOUT:.0f} s)")


def test_pool_exhausted_fails_fast_and_never_overflows(service: Deployment, record: Record) -> None:
    service.warm(POOL_SIZE)
    service.proxy.delay = 1.0  # each lookup holds its connection about a second
    with service.connection_peak() as peak:
        answers = burst(service.url, [demo_path("dup")] * (POOL_SIZE * 4))
    statuses = Counter(a.status for a in answers)
    assert set(statuses) <= {200, 503}, statuses
    assert statuses[200] >= POOL_SIZE
    assert statuses[503] > 0, "40 lookups of a second each through 10 connections in 2 s"
    waited = [a.seconds for a in answers if a.status == 503]
    assert max(waited) < POOL_TIMEOUT + 1.5 + 1.0, waited  # the wait, plus a query in flight
    assert peak.value <= POOL_SIZE, f"held {peak.value} connections with a pool of {POOL_SIZE}"
    record("pool", f"{statuses[200]} ok, {statuses[503]} fast 503s, peak {peak.value}/{POOL_SIZE}")


def test_graceful_shutdown_under_load(
    deployer: Deployer, service_name: str, record: Record
) -> None:
    with deployer.deployed(service_name) as fresh:
        fresh.warm(POOL_SIZE)
        fresh.proxy.delay = 0.3  # every request is in flight for a while
        load = SteadyLoad(fresh.url, clients=POOL_SIZE)
        with load:
            time.sleep(1.0)
            load.stop()  # no new requests from here: Kubernetes stops routing first...
            os.killpg(fresh.running.pid, signal.SIGTERM)  # ...then signals the pod
            signalled = time.monotonic()
        try:
            code = fresh.running.process.wait(timeout=GRACE)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {GRACE:.0f} s after SIGTERM")
        took = time.monotonic() - signalled
        statuses = Counter(o.status for o in load.outcomes)
        assert statuses == Counter({200: len(load.outcomes)}), statuses
        # uvicorn re-raises the signal once it has shut down cleanly; gunicorn exits 0.
        assert code in {0, -signal.SIGTERM}, fresh.running.log_tail()
        assert _eventually(lambda: fresh.held_connections() == 0), "the pool was not closed"
    record("shutdown", f"{len(load.outcomes)} requests, none lost, exit in {took:.1f} s")


@pytest.fixture
def wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        pytest.fail("wrk is needed for the long run (Debian: apt-get install wrk; .ci/run does)")
    return found


def test_long_run_stays_flat(
    service: Deployment, wrk: str, pytestconfig: pytest.Config, record: Record
) -> None:
    seconds = 240 if pytestconfig.getoption("budget") == "full" else 8
    url = service.url + demo_path("dup")

    def run(duration: int) -> int:
        out = subprocess.run(
            [wrk, "-t1", "-c32", f"-d{duration}s", "--timeout", "10s", url],
            capture_output=True,
            text=True,
            check=True,
            timeout=duration + 30,
        ).stdout
        assert "Non-2xx" not in out, out
        # Slowness is the benchmarks' business; a broken connection is a failure here.
        errors = re.search(r"connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
        assert errors is None or sum(map(int, errors.groups())) == 0, out
        return int(next(line for line in out.splitlines() if "requests in" in line).split()[0])

    run(2)  # warm: caches, pools and allocator arenas at their working size
    before = _memory(service)
    requests = run(seconds)
    growth = _memory(service) - before
    held = service.held_connections()
    assert held <= POOL_SIZE
    assert growth < 32 * 2**20, f"memory grew {growth / 2**20:.1f} MiB over {requests} requests"
    record("long run", f"{requests} requests, RSS {growth / 2**20:+.1f} MiB, {held} connections")
