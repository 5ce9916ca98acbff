"""The comparison's glue (perf/compare.py, `nox -s bench`): its plans fit their time, a failed
run leaves nothing behind, the proxy process delays."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

import psutil
import pytest
from loadtest.settings import SCENARIOS

from perf import compare as bench

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SERVICES = 4
# Beyond the measuring: seeding 1,000,000 rows (20 to 40 s here), four start-ups, three
# runner start-ups, the report's charts; measured at about a minute, counted twice.
OVERHEAD = 120.0


def test_the_default_plan_takes_about_15_minutes() -> None:
    # Recorded: 14.9 min (Intel Xeon, 2 cores) and 15.7 min (a machine 3x slower), README.
    minutes = (bench.DEFAULT.estimate_seconds(SERVICES) + OVERHEAD) / 60
    assert 14 <= minutes <= 17


def test_the_quick_plan_is_a_smoke_run_of_about_three_minutes() -> None:
    assert bench.QUICK.estimate_seconds(SERVICES) + OVERHEAD / 2 <= 3 * 60


def test_the_plans_ask_what_the_issue_asks() -> None:
    default = {(p.db_latency_ms, p.pool_size): p.scenarios for p in bench.DEFAULT.phases}
    assert default == {(0, 10): SCENARIOS, (1, 10): ("demo",), (5, 10): ("demo",)}
    assert bench.DEFAULT.settings.repeats >= 3
    full = {(p.db_latency_ms, p.pool_size): p.scenarios for p in bench.FULL.phases}
    assert {key for key, scenarios in full.items() if scenarios == SCENARIOS} == {
        (0, 10),
        (1, 10),
        (5, 10),
    }
    assert {(latency, pool) for latency, pool in full if pool != 10} == {
        (latency, pool) for latency in (1, 5) for pool in (5, 20, 50)
    }
    # Phases of one pool size are adjacent: the services restart only when it changes.
    pools = [p.pool_size for p in bench.FULL.phases]
    assert pools == sorted(pools, key=pools.index)


@pytest.mark.parametrize("plan", [bench.DEFAULT, bench.FULL, bench.QUICK])
def test_at_zero_latency_no_proxy_is_in_the_path(plan: bench.Bench) -> None:
    groups = bench.service_groups(plan)
    assert [phase for _, _, phases in groups for phase in phases] == list(plan.phases)
    for pool, proxied, phases in groups:
        assert all(phase.pool_size == pool for phase in phases)
        assert all((phase.db_latency_ms > 0) == proxied for phase in phases)


def test_pinning_moves_every_thread_of_a_process(tmp_path: Path) -> None:
    """The database server's threads exist before it is pinned: each must move."""
    (cpu, *_) = sorted(os.sched_getaffinity(0), reverse=True)
    script = (
        "import threading, time\n" + "threading.Thread(target=time.sleep, args=(60,)).start()\n" * 3
    )
    with subprocess.Popen([sys.executable, "-c", script + "time.sleep(60)"]) as process:
        try:
            time.sleep(0.5)
            bench.pin(process.pid, {cpu})
            threads = psutil.Process(process.pid).threads()
            assert len(threads) == 4
            assert all(os.sched_getaffinity(thread.id) == {cpu} for thread in threads)
        finally:
            process.kill()


def test_a_finished_run_moves_under_results(tmp_path: Path) -> None:
    with bench.staged_results(tmp_path / "results") as staging:
        (staging.path / "report.md").write_text("done")
        assert not (tmp_path / "results").exists()  # nothing there while it runs
    assert staging.final is not None
    assert (staging.final / "report.md").read_text() == "done"
    assert staging.final.parent == tmp_path / "results"


def test_a_failed_run_leaves_nothing_behind(tmp_path: Path) -> None:
    root = tmp_path / "results"
    staged: list[Path] = []

    def fail_half_way() -> None:
        with bench.staged_results(root) as staging:
            staged.append(staging.path)
            (staging.path / "half-written.json").write_text("{")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_half_way()
    assert not root.exists()
    assert not staged[0].exists()


def test_publish_and_trimmed_runs_do_not_mix() -> None:
    with pytest.raises(SystemExit):
        bench.parse(["--publish", "--quick"])
    with pytest.raises(SystemExit):
        bench.parse(["--publish", "--service", "flask"])
    _, plan = bench.parse(["--publish", "--full"])
    assert plan == bench.FULL


@pytest.fixture
def echo() -> Iterator[tuple[str, int]]:
    """A TCP server that answers each chunk with the same bytes (a stand-in database)."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                while data := conn.recv(65536):
                    conn.sendall(data)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def round_trip(port: int) -> float:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        started = time.monotonic()
        conn.sendall(b"ping")
        assert conn.recv(16) == b"ping"
        return time.monotonic() - started


def test_the_proxy_process_adds_the_delay_it_is_given(echo: tuple[str, int]) -> None:
    proxy = bench.ProxyProcess(echo)
    try:
        plain = min(round_trip(proxy.port) for _ in range(3))
        proxy.set_delay(0.2)
        delayed = min(round_trip(proxy.port) for _ in range(3))
        proxy.set_delay(0.0)
        again = min(round_trip(proxy.port) for _ in range(3))
    finally:
        proxy.close()
    # Bound by what the test measured: the delay adds at least itself to a round trip.
    assert delayed >= plain + 0.2 * 0.95
    assert again < delayed - 0.1
    assert not proxy.process.is_alive()
