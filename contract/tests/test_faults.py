"""Faults a production service meets: restarts, slow, stalled or silent databases, killed
connections, a read-only server, exhausted pools, long runs. Every bound is one of the
contract's own timeouts (or a multiple); every figure a test measures is shown in the summary.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from contract.client import burst, demo_path
from contract.database import Database
from contract.fixtures import PROBE_NAMES
from contract.tests.conftest import (
    CONNECT_TIMEOUT,
    FAIL_BOUND,
    POOL_SIZE,
    POOL_TIMEOUT,
    QUERY_TIMEOUT,
    Deployer,
    Deployment,
    eventually,
)

Record = Callable[[str, str], None]
CLIENTS = 8
SETTLE = 1.0  # seconds of nothing but 200s that count as recovered
KILL_ROUNDS = 3


@dataclass(frozen=True)
class Outcome:
    """One request of a steady load: when it started and ended, and how."""

    started: float
    ended: float
    status: int | str  # an HTTP status, or the name of the transport error

    @property
    def seconds(self) -> float:
        return self.ended - self.started


class SteadyLoad:
    """``clients`` threads sending /demo lookups back to back until stopped (bounded)."""

    def __init__(self, url: str, clients: int = CLIENTS, limit: float = 60.0) -> None:
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
                with self._lock:
                    self.outcomes.append(Outcome(started, time.monotonic(), status))

    def started_after(self, moment: float) -> list[Outcome]:
        with self._lock:
            return [o for o in self.outcomes if o.started > moment]

    def ended_after(self, moment: float) -> list[Outcome]:
        with self._lock:
            return [o for o in self.outcomes if o.ended > moment]

    def wait_for(self, count: int, after: float, timeout: float = 10.0) -> None:
        """Until ``count`` requests have started after ``after`` and ended."""
        assert eventually(lambda: len(self.started_after(after)) >= count, timeout), (
            f"{len(self.started_after(after))} of {count} requests in {timeout:.0f} s"
        )

    def last_failure(self) -> float | None:
        with self._lock:
            return max((o.ended for o in self.outcomes if o.status != 200), default=None)

    def settle(self, since: float, timeout: float) -> bool:
        """Until SETTLE seconds have passed since ``since`` and the last failure (bounded)."""

        def settled() -> bool:
            quiet_from = max(since, self.last_failure() or since)
            return time.monotonic() - quiet_from >= SETTLE and bool(self.ended_after(quiet_from))

        return eventually(settled, timeout)

    def unexplained_failures(self, faults: list[tuple[float, float]]) -> list[Outcome]:
        """Failed requests that were not in flight during any of the ``faults`` (start, end)."""
        with self._lock:
            return [
                o
                for o in self.outcomes
                if o.status != 200
                and not any(o.started <= end and o.ended >= start for start, end in faults)
            ]

    def statuses(self) -> Counter[int | str]:
        with self._lock:
            return Counter(o.status for o in self.outcomes)


def _worker_pids(service: Deployment) -> set[int]:
    """The server's process and its workers (for uvicorn with one worker, the process itself)."""
    return {process.pid for process in service.processes() if process.is_running()}


def _restart(database: Database, service: Deployment, load: SteadyLoad) -> float:
    """The database restarts: every connection closed, new ones refused while it is down.

    The kit restarts a server it started; DATABASE_URL's is not its to restart, so the service
    sees the same through its proxy, down until every client has met the outage. Returns the
    moment the database is back.
    """
    if database.process is not None:
        database.process.restart()
    else:
        down = time.monotonic()
        service.proxy.cut()
        eventually(lambda: sum(o.status != 200 for o in load.started_after(down)) >= CLIENTS, 10.0)
        service.proxy.restore()
    return time.monotonic()


def test_database_restart_under_load(
    service: Deployment, database: Database, record: Record
) -> None:
    workers = _worker_pids(service)
    with SteadyLoad(service.url) as load:
        load.wait_for(CLIENTS * 5, after=time.monotonic())  # steady state before the fault
        back = _restart(database, service, load)
        settled = load.settle(since=back, timeout=FAIL_BOUND + SETTLE + 2.0)
    statuses = load.statuses()
    assert set(statuses) <= {200, 503}, statuses
    slow = [o for o in load.outcomes if o.status == 503 and o.seconds > FAIL_BOUND]
    assert not slow, f"503s should be fast: {slow[:3]}"
    # A request in flight when the database came back may still fail, within its worst case.
    recovery = max((o.ended - back for o in load.ended_after(back) if o.status != 200), default=0)
    assert recovery < FAIL_BOUND, f"still failing {recovery:.1f} s after the database was back"
    assert settled, "no steady 200s after the database was back"
    assert _worker_pids(service) == workers, "a worker died or the server restarted"
    lost = sum(n for status, n in statuses.items() if status != 200)
    record("restart", f"{lost} of {statuses.total()} failed (503), 200s {recovery:.1f} s after")


def test_slow_and_stalled_database(service: Deployment, database: Database, record: Record) -> None:
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
        assert stalled < 2 * QUERY_TIMEOUT, f"{stalled:.1f} s: a query timeout was retried"
        service.proxy.restore()
        # No stuck connection went back to the pool: a full pool's worth of lookups all work,
        # each with its own answer (a reused one would read the late reply to a "dup" lookup).
        names = [name for name in PROBE_NAMES if name != "dup"][:POOL_SIZE]
        answers = burst(service.url, [demo_path(name) for name in names])
        assert [a.status for a in answers] == [200] * len(names)
        got = [json.loads(a.body) for a in answers]
        assert got == [database.lookup(name) for name in names]
    assert service.held_connections() <= POOL_SIZE
    record("stall", f"503 after {stalled:.1f} s (query timeout {QUERY_TIMEOUT:.0f} s)")


def test_database_that_accepts_and_never_greets(
    deployer: Deployer, service_name: str, record: Record
) -> None:
    # Silent from the start: the pool's fill, then every lookup, connects and is never greeted.
    with deployer.deployed(service_name, wait_path="/healthz", muted=True) as fresh:
        more = POOL_SIZE + 5
        answers = burst(fresh.url, [demo_path("dup")] * more)
        assert [a.status for a in answers] == [503] * more
        assert all(a.seconds < FAIL_BOUND for a in answers), [a.seconds for a in answers]
        silent = len(fresh.proxy.accepted)
        # Every handshake the service began is given up within its connect timeout: one that
        # waited for ever would keep its socket, and its pool slot, for the worker's life.
        abandoned = eventually(lambda: fresh.proxy.silent == 0, 2 * CONNECT_TIMEOUT)
        assert abandoned, f"{fresh.proxy.silent} of {silent} silent handshakes still open"
        with fresh.client() as client:
            started = time.perf_counter()
            assert client.get("/readyz").status_code == 503
            assert time.perf_counter() - started < FAIL_BOUND
            assert client.get("/healthz").status_code == 200
            # Back: what the silent server swallowed stays silent; fresh connections are served.
            fresh.proxy.restore()
            ready = eventually(lambda: client.get("/readyz").status_code == 200, 2 * FAIL_BOUND)
        assert ready, f"not ready again after the database came back ({silent} silent connects)"
        answers = burst(fresh.url, [demo_path("dup")] * POOL_SIZE)
        assert [a.status for a in answers] == [200] * POOL_SIZE
    record("silent", f"{silent} connects never greeted, ready again after")


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
    assert max(waited) < 2 * POOL_TIMEOUT, waited  # the pool's wait, not a query's or more
    assert peak.peak <= POOL_SIZE, f"held {peak.peak} connections with a pool of {POOL_SIZE}"
    record("pool", f"{statuses[200]} ok, {statuses[503]} fast 503s, peak {peak.peak}/{POOL_SIZE}")


def _kill_all(database: Database, service: Deployment) -> tuple[float, float]:
    """KILL every connection the service holds: from when, to when the server had dropped them."""
    started = time.monotonic()
    killed = database.kill_connections(service.user)
    assert killed, "no connection to kill"
    gone = eventually(lambda: not database.connection_ids(service.user) & killed, 5.0)
    assert gone, "the server kept connections it killed"
    return started, time.monotonic()


def _full_pool_works(service: Deployment) -> None:
    """A pool's worth of lookups at once, each on its own connection: no slot was lost."""
    service.proxy.delay = 0.05
    answers = burst(service.url, [demo_path("dup")] * POOL_SIZE)
    service.proxy.delay = 0.0
    assert [a.status for a in answers] == [200] * POOL_SIZE
    assert service.held_connections() <= POOL_SIZE


def test_killed_connections_are_replaced_at_once(service: Deployment, database: Database) -> None:
    service.warm(POOL_SIZE)
    _kill_all(database, service)
    # Each lookup meets a dead pooled connection and retries once on a fresh one.
    with service.client() as client:
        statuses = [client.get(demo_path("dup")).status_code for _ in range(POOL_SIZE + 1)]
    assert statuses == [200] * (POOL_SIZE + 1)
    _full_pool_works(service)


def test_connections_killed_under_load(
    service: Deployment, database: Database, record: Record
) -> None:
    kills = []
    with service.connection_peak() as peak, SteadyLoad(service.url) as load:
        load.wait_for(CLIENTS * 5, after=time.monotonic())
        for _ in range(KILL_ROUNDS):
            kills.append(_kill_all(database, service))
            load.wait_for(CLIENTS * 5, after=kills[-1][1])
    statuses = load.statuses()
    assert set(statuses) <= {200, 503}, statuses
    # Only a lookup in flight while its connection was killed may fail; the others are 200.
    unexplained = load.unexplained_failures(kills)
    assert not unexplained, unexplained[:3]
    assert peak.peak <= POOL_SIZE, f"held {peak.peak} connections with a pool of {POOL_SIZE}"
    _full_pool_works(service)
    lost = sum(n for status, n in statuses.items() if status != 200)
    record("killed", f"{KILL_ROUNDS} rounds, {lost} of {statuses.total()} failed, peak {peak.peak}")


def test_database_turned_read_only_under_load(
    service: Deployment, database: Database, record: Record
) -> None:
    with SteadyLoad(service.url) as load:
        load.wait_for(CLIENTS * 5, after=time.monotonic())
        # A failover: the old primary turns read-only and drops its clients; reads go on.
        with database.global_variable("read_only", "ON"):
            kill = _kill_all(database, service)
            load.wait_for(CLIENTS * 10, after=kill[1])
    statuses = load.statuses()
    assert set(statuses) <= {200, 503}, statuses
    unexplained = load.unexplained_failures([kill])
    assert not unexplained, unexplained[:3]
    _full_pool_works(service)
    lost = sum(n for status, n in statuses.items() if status != 200)
    record("read-only", f"{lost} of {statuses.total()} failed")


@pytest.fixture
def wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        pytest.fail("wrk is needed for the long run (scripts/install-system-packages installs it)")
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
    before = service.memory()
    requests = run(seconds)
    growth = service.memory() - before
    held = service.held_connections()
    assert held <= POOL_SIZE
    assert growth < 32 * 2**20, f"memory grew {growth / 2**20:.1f} MiB over {requests} requests"
    record("long run", f"{requests} requests, RSS {growth / 2**20:+.1f} MiB, {held} connections")
