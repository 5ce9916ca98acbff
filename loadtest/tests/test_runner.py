"""The runner against a real service on the seeded database: every topology, every field.

Each test runs ``python -m loadtest`` in a child process, so locust's gevent monkey-patching
never reaches pytest's own process. Windows are short: these check the machinery, not speed,
so no assertion depends on how fast this machine is.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from loadtest import search
from loadtest.latency import Histogram
from loadtest.results import PROBE, RATE, RunResults
from loadtest.settings import Plan, RunSettings, Target

if TYPE_CHECKING:
    from conftest import CLI, Service

    from loadtest.results import Step

WINDOW = 0.5
SHORT = ["--window", str(WINDOW), "--settle", "0.2", "--warmup", "0.2", "--rows", "1000"]


def results_file(stdout: str) -> Path:
    path = Path(stdout.strip().splitlines()[-1])
    assert path.is_file(), stdout
    return path


def nulls(document: Any, where: str = "") -> list[str]:
    """The paths of every null in a JSON document."""
    if document is None:
        return [where]
    if isinstance(document, dict):
        return [n for key, value in document.items() for n in nulls(value, f"{where}.{key}")]
    if isinstance(document, list):
        return [n for i, value in enumerate(document) for n in nulls(value, f"{where}[{i}]")]
    return []


def check_step(step: Step) -> None:
    """What every measured window must hold, on any machine."""
    assert step.requests > 0
    # A window never closes early; the exchanges that open and close it take milliseconds,
    # so seconds more would mean a stall (generous: no machine is that slow).
    assert WINDOW <= step.window_s < WINDOW + 5
    assert step.achieved_rps == pytest.approx(step.requests / step.window_s, rel=0.01)
    latency = step.latency_ms
    # The HDR histogram holds every request locust counted in the window, no more, no fewer.
    assert latency.count == step.requests
    histogram = Histogram.decode(step.histogram)
    assert histogram.count == step.requests
    assert histogram.summary() == latency
    assert 0 < latency.min <= latency.p50 <= latency.p90 <= latency.p99 <= latency.p999
    assert latency.p999 <= latency.max


def test_capacity_searches_against_a_real_service(
    cli: CLI, service: Service, tmp_path: Path
) -> None:
    a, b = "svc-a", "svc-b"  # the same service twice: two targets to interleave
    result = cli(
        "run", "--target", f"{a}={service.url}", "--target", f"{b}={service.url}",
        "--pid", f"{a}={service.pid}", "--pid", f"{b}={service.pid}",
        "--cpu-allowance", f"{a}=1", "--cpu-allowance", f"{b}=2",
        "--watch", f"itself={service.pid}", "--repeats", "2", "--max-steps", "3",
        "--resolution", "0.5", "--label", "db_latency_ms=0", "--meta", "note=test",
        *SHORT, "--out", str(tmp_path),
    )  # fmt: skip
    path = results_file(result.stdout)
    document = json.loads(path.read_text())
    results = RunResults.read(path)
    # Null only where it means something: a probe's offered rate and verdict, no capacity, no
    # pinning.
    meaningful = (".offered_rps", ".sustained", ".capacity.rps", ".capacity.step", ".above", "cpus")
    assert [n for n in nulls(document) if not n.endswith(meaningful)] == []
    assert document["environment"]["note"] == "test"
    # The code measured: this checkout's commit (the package is installed from it).
    head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    assert results.commit == head.stdout.strip()
    assert results.dirty is not None
    assert document["environment"]["versions"]["hdrhistogram"] != "unknown"
    assert results.labels == {"db_latency_ms": "0"}
    assert [(t.name, t.cpu_allowance, t.cpu_source) for t in results.targets] == [
        (a, 1.0, "pids"),
        (b, 2.0, "pids"),
    ]
    # Interleaved: every scenario of one target, then the other's; round 2 starts with b.
    order = [(s.round, s.target, s.scenario) for s in results.searches]
    scenarios = ["demo", "demo-hit", "idle"]
    assert order == [
        *((1, a, s) for s in scenarios),
        *((1, b, s) for s in scenarios),
        *((2, b, s) for s in scenarios),
        *((2, a, s) for s in scenarios),
    ]
    for found in results.searches:
        # The probe: in the first round, and in every round of the first scenario (the tail
        # near saturation); a later round starts from the earlier one's knee.
        probed = found.round == 1 or found.scenario == scenarios[0]
        assert (found.probe is not None) == probed
        rates = found.rate_steps
        if probed:
            probe = found.steps[0]
            assert probe.kind == PROBE
            assert probe.users == 64
            assert probe.offered_rps is None
            assert probe.sustained is None
        assert 1 <= len(rates) <= 3
        for step in found.steps:
            check_step(step)
            assert step.failures == 0, step.errors  # the seeded names are all found
            assert step.service_cpu_s is not None
            assert step.generator_cpu_s > 0
        # The kernel counts CPU time in ticks (10 ms): a short window of a fast service may
        # get none on a busy machine (seen: 65 requests, 0.0 s), a whole search never.
        assert sum(step.service_cpu_s or 0 for step in found.steps) > 0
        assert sum(step.watched_cpu_s["itself"] for step in found.steps) > 0
        for step in rates:
            assert step.kind == RATE
            assert step.offered_rps == step.users * results.settings.per_user_rate
            assert step.sustained == (not step.reasons)
        # The capacity is what the steps show.
        expected = search.capacity(
            [s.outcome() for s in rates],
            max_rate=results.settings.max_rate,
            quantum=results.settings.per_user_rate,
        )
        assert found.capacity.rps == expected.rps
        assert found.capacity.limit == expected.limit
    # Sub-millisecond resolution: locust's own figures would all be whole milliseconds.
    latencies = [
        value
        for found in results.searches
        for step in found.steps
        for value in (step.latency_ms.p50, step.latency_ms.p90, step.latency_ms.p99)
    ]
    assert any(value != round(value) for value in latencies)
    assert "searches" in result.stderr  # progress, with the time left
    assert "about" in result.stderr
    assert "idle, round 2: " in result.stderr


def test_demo_hit_fails_on_names_the_database_does_not_hold(
    cli: CLI, service: Service, tmp_path: Path
) -> None:
    # The service's table holds seed 20240820's names; another seed's are not there.
    result = cli(
        "run", "--target", f"svc={service.url}", "--scenario", "demo-hit", "--seed", "1",
        "--repeats", "1", "--rate", "50", *SHORT, "--out", str(tmp_path),
    )  # fmt: skip
    (found,) = RunResults.read(results_file(result.stdout)).searches
    (step,) = found.steps
    assert step.requests > 0
    assert step.failures == step.requests
    assert any("no row for a seeded name" in message for message in step.errors)
    assert found.capacity.rps is None
    assert found.capacity.limit == "none"


def test_local_worker_processes_merge_their_histograms(
    cli: CLI, service: Service, tmp_path: Path
) -> None:
    result = cli(
        "run", "--target", f"svc={service.url}", "--scenario", "idle", "--processes", "2",
        "--repeats", "1", "--rate", "60", "--rate", "120", *SHORT, "--out", str(tmp_path),
    )  # fmt: skip
    results = RunResults.read(results_file(result.stdout))
    (found,) = results.searches
    assert [s.users for s in found.steps] == [6, 12]
    for step in found.steps:
        check_step(step)
        assert step.failures == 0
        assert step.service_cpu_s is None  # no --pid given
    assert results.targets[0].cpu_source is None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_external_workers_as_on_kubernetes(cli: CLI, service: Service, tmp_path: Path) -> None:
    port = free_port()
    # The worker starts first and retries until the master listens, as pods may start.
    worker = subprocess.Popen(
        [sys.executable, "-m", "loadtest", "worker", "--master-host", "127.0.0.1"],
        env={"LOADTEST_MASTER_PORT": str(port), "PATH": "/usr/bin:/bin"},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        result = cli(
            "run", "--target", f"svc={service.url}", "--scenario", "demo-hit",
            "--expect-workers", "1", "--expect-workers-max-wait", "60",
            "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
            "--repeats", "1", "--max-steps", "2", "--resolution", "0.5",
            *SHORT, "--out", str(tmp_path),
        )  # fmt: skip
        (found,) = RunResults.read(results_file(result.stdout)).searches
        assert found.steps[0].kind == PROBE
        for step in found.steps:
            check_step(step)
            assert step.failures == 0
        _, worker_log = worker.communicate(timeout=30)  # the master's quit ends the worker
        assert worker.returncode == 0, worker_log
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def one_step(cli: CLI, url: str, tmp_path: Path) -> Step:
    """One window of idle at 50 req/s against ``url``."""
    result = cli(
        "run", "--target", f"svc={url}", "--scenario", "idle", "--repeats", "1",
        "--rate", "50", *SHORT, "--out", str(tmp_path),
    )  # fmt: skip
    (found,) = RunResults.read(results_file(result.stdout)).searches
    (step,) = found.steps
    assert step.requests > 0
    return step


def test_a_plan_file_runs_as_given(cli: CLI, service: Service, tmp_path: Path) -> None:
    """What ``nox -s bench`` hands over: one JSON plan, its settings kept in the results."""
    settings = RunSettings(
        rates=(30.0,), scenarios=("idle",), repeats=1, window_s=WINDOW, settle_s=0.2, rows=1000
    )
    target = Target("svc", service.url, pids=(service.pid,), cpu_allowance=1.0)
    plan = Plan(settings, (target,), {"itself": (service.pid,)}, {"db_latency_ms": "0"}, {"n": "1"})
    (tmp_path / "plan.json").write_text(plan.to_json())
    result = cli("run", str(tmp_path / "plan.json"), "--out", str(tmp_path))
    results = RunResults.read(results_file(result.stdout))
    assert results.settings == settings.resolved()
    assert results.labels == plan.labels
    assert results.environment["n"] == "1"
    assert [(t.name, t.cpu_allowance, t.cpu_source) for t in results.targets] == [
        ("svc", 1.0, "pids")
    ]
    ((step,),) = [found.steps for found in results.searches]
    assert step.users == 3
    assert "itself" in step.watched_cpu_s


def test_bad_answers_are_failures(cli: CLI, service: Service, tmp_path: Path) -> None:
    # Under /nope every path is a 404: each request must count as a failure.
    step = one_step(cli, f"{service.url}/nope", tmp_path)
    assert step.failures == step.requests
    assert any("HTTP 404" in message for message in step.errors)


def test_refused_connections_are_failures(cli: CLI, tmp_path: Path) -> None:
    step = one_step(cli, f"http://127.0.0.1:{free_port()}", tmp_path)  # nothing listens there
    assert step.failures == step.requests
    assert step.sustained is False


def test_usage_errors(cli: CLI) -> None:
    def refused(*args: str) -> str:
        result = cli("run", *args, check=False, env={"LOADTEST_TARGETS": ""})
        assert result.returncode == 2, result.stderr
        return result.stderr

    assert "--target" in refused()
    target = ["--target", "a=http://127.0.0.1:9"]
    assert "unknown scenario" in refused(*target, "--scenario", "nope")
    assert "--expect-workers" in refused(*target, "--processes", "2", "--expect-workers", "2")
    assert "names no target" in refused(*target, "--cpu-allowance", "b=1")
    assert "not a number of cores" in refused(*target, "--cpu-allowance", "a=many")
    assert "k8s:NAMESPACE/LABEL-SELECTOR" in refused(*target, "--cpu-from", "a=prometheus")
    assert "both given" in refused(*target, "--pid", "a=1", "--cpu-from", "a=k8s:ns/app=a")
    assert "must be positive" in refused(*target, "--rate", "-5")
