"""The comparison's glue (perf/compare.py, `nox -s bench`): its plans fit their time, a failed
run leaves nothing behind, the proxy process delays."""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import psutil
import pytest
from loadtest.results import RunResults
from loadtest.settings import DEFAULT_POOL_SIZE, MAX_POOL_SIZE, SCENARIOS, Plan

from perf import compare as bench
from perf import delay, placement, pool_rule
from perf.staging import staged_results

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
SERVICES = 6
# Beyond the measuring: seeding 1,000,000 rows (20 to 40 s here), six start-ups and two
# restarts (the pool or the proxy changes), the pool rule's lookups, the report's charts.
OVERHEAD = 120.0


def test_the_default_plan_measures_for_about_15_minutes() -> None:
    # Six targets; the estimate itself is held against a recorded run (loadtest's
    # tests/test_settings.py). Plus about two minutes of seeding and start-ups.
    minutes = bench.DEFAULT.estimate_seconds(SERVICES) / 60
    assert 13 <= minutes <= 16


def test_the_default_plans_estimate_holds_against_a_recorded_run() -> None:
    # `nox -s bench -- --service starlette`, 2026-12-07, on a 2-core machine with load 16.
    recorded = sorted((ROOT / "loadtest/tests/recorded").glob("loadtest-*.json"))
    runs = [RunResults.read(path) for path in recorded]
    measured = sum(
        (datetime.fromisoformat(r.finished_at) - datetime.fromisoformat(r.started_at)).seconds
        for r in runs
    )
    assert [r.labels["db_latency_ms"] for r in runs] == ["0", "1", "5"]
    assert bench.DEFAULT.estimate_seconds(1) == pytest.approx(measured, rel=0.15)


def test_the_quick_plan_is_a_smoke_run_of_about_three_minutes() -> None:
    assert bench.QUICK.estimate_seconds(SERVICES) + OVERHEAD / 2 <= 3 * 60


def test_later_phases_start_from_the_first_phases_knees() -> None:
    # No probe, no ladder: fewer steps than the same phases searched from scratch.
    alone = [replace(bench.DEFAULT, phases=(phase,)) for phase in bench.DEFAULT.phases]
    assert bench.DEFAULT.estimate_seconds(SERVICES) < sum(
        plan.estimate_seconds(SERVICES) for plan in alone
    )


def test_the_plans_ask_what_the_issue_asks() -> None:
    default = {(p.db_latency_ms, p.pool_size): p.scenarios for p in bench.DEFAULT.phases}
    # Every row's pool is the rule's (None), fitted to its latency.
    assert default == {(0, None): SCENARIOS, (1, None): ("demo",), (5, None): ("demo",)}
    assert bench.DEFAULT.settings.repeats >= 3
    full = {(p.db_latency_ms, p.pool_size): p.scenarios for p in bench.FULL.phases}
    assert {key for key, scenarios in full.items() if scenarios == SCENARIOS} == {
        (0, None),
        (1, None),
        (5, None),
    }
    assert {(latency, pool) for latency, pool in full if pool is not None} == {
        (latency, pool) for latency in (1, 5) for pool in (5, 20, 50)
    }


def test_the_pool_rule_is_littles_law_with_headroom_within_bounds() -> None:
    settings = bench.DEFAULT.settings
    knees = {"a/demo": 1200.0, "b/demo": 700.0, "a/idle": 9000.0}  # the rule reads demo's
    at = {ms: pool_rule.fit_pool(settings, pool_rule.Phase(ms, ("demo",)), knees, ms + 0.3)
          for ms in (0, 1, 5)}  # fmt: skip
    assert at[0].size == DEFAULT_POOL_SIZE  # 1,200 x 0.3 ms x 4 = 1.4: the lower bound
    assert at[5].size == math.ceil(1200 * 5.3 / 1000 * settings.pool_headroom)  # 26
    assert at[5].reach_rps == 1200
    assert pool_rule.fit_pool(settings, pool_rule.Phase(5, ("demo",)), {}, 5.3).size == 10
    assert pool_rule.fit_pool(settings, pool_rule.Phase(5, ("demo",), 50), knees, 5.3).size == 50
    assert settings.fitted_pool(100_000, 50) == MAX_POOL_SIZE
    labels = at[5].labels()
    assert (labels["db_pool_size"], labels["db_pool_rule"]) == ("26", "fitted")


@pytest.fixture
def fake_bench(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[tuple[str, Any]]:
    """``_measure`` with everything it starts replaced: what it started, and the plans."""
    events: list[tuple[str, Any]] = []

    @contextmanager
    def services_running(specs: Any, **given: Any) -> Iterator[list[Any]]:
        events.append(("start", (given["pool_size"], given["proxy_port"])))
        yield [SimpleNamespace(name="s", url="http://s", pid=1, spec=SimpleNamespace(command=[]))]
        events.append(("stop", given["pool_size"]))

    @contextmanager
    def database(prefix: str) -> Iterator[Any]:
        yield SimpleNamespace(
            execute=lambda sql: [("10.11",)], server=SimpleNamespace(host="h", port=1)
        )

    class Proxy:
        port, pid = 9, 2

        def __init__(self, upstream: Any) -> None:
            self.delay = 0.0

        def set_delay(self, seconds: float) -> None:
            self.delay = seconds

        def close(self) -> None:
            pass

    def loadtest(*args: str) -> str:
        events.append(("run", Plan.from_json(Path(args[1]).read_text())))
        return str(tmp_path / "results.json")

    def lookup(database: Any, proxy: Proxy | None) -> float:
        return 0.3 + (proxy.delay * 1000 if proxy else 0.0)

    for name, fake in {
        "services_running": services_running, "provide_database": database,
        "seed_rows": lambda *a, **k: None, "ProxyProcess": Proxy,
        "injector_meta": lambda *a: {}, "listener_pid": lambda *a: None, "lookup_ms": lookup,
        "pin": lambda *a: None,
        "loadtest": loadtest, "first_knees": lambda run: {"s/demo": 1500.0},
    }.items():  # fmt: skip
        monkeypatch.setattr(bench, name, fake)
    first = SimpleNamespace(calibration=[{"offered_rps": 250.0}])
    monkeypatch.setattr(RunResults, "read", lambda path: first)
    bench._measure(bench.DEFAULT, [], tmp_path, command="c", cpus=({0}, {1}))
    return events


def test_the_services_restart_when_the_pool_or_the_path_changes(
    fake_bench: list[tuple[str, Any]],
) -> None:
    starts = [given for event, given in fake_bench if event == "start"]
    # +0 ms: the lower bound, no proxy in the path; +1 ms: 1,500 x 1.3 ms x 4 = 7.8, still
    # 10, through the proxy (a restart for the path); +5 ms: 1,500 x 5.3 ms x 4 = 31.8: 32.
    assert starts == [(10, None), (10, 9), (32, 9)]
    plans = [plan for event, plan in fake_bench if event == "run"]
    assert [p.labels["db_pool_size"] for p in plans] == ["10", "10", "32"]
    assert {p.labels["db_pool_rule"] for p in plans} == {"fitted"}
    # The later phases start from the first phase's knees, with its calibration.
    assert [p.starts for p in plans] == [{}, {"s/demo": 1500.0}, {"s/demo": 1500.0}]
    assert [p.calibration for p in plans] == [[], [{"offered_rps": 250.0}]] * 1 + [
        [{"offered_rps": 250.0}]
    ]


def test_pinning_moves_every_thread_of_a_process(tmp_path: Path) -> None:
    """The database server's threads exist before it is pinned: each must move."""
    (cpu, *_) = sorted(os.sched_getaffinity(0), reverse=True)
    script = (
        "import threading, time\n" + "threading.Thread(target=time.sleep, args=(60,)).start()\n" * 3
    )
    with subprocess.Popen([sys.executable, "-c", script + "time.sleep(60)"]) as process:
        try:
            time.sleep(0.5)
            placement.pin(process.pid, {cpu})
            threads = psutil.Process(process.pid).threads()
            assert len(threads) == 4
            assert all(os.sched_getaffinity(thread.id) == {cpu} for thread in threads)
        finally:
            process.kill()


def test_a_finished_run_moves_under_results(tmp_path: Path) -> None:
    with staged_results(tmp_path / "results") as staging:
        (staging.path / "report.md").write_text("done")
        assert not (tmp_path / "results").exists()  # nothing there while it runs
    assert staging.final is not None
    assert (staging.final / "report.md").read_text() == "done"
    assert staging.final.parent == tmp_path / "results"


def test_a_failed_run_leaves_nothing_behind(tmp_path: Path) -> None:
    root = tmp_path / "results"
    staged: list[Path] = []

    def fail_half_way() -> None:
        with staged_results(root) as staging:
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
    proxy = delay.ProxyProcess(echo)
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
