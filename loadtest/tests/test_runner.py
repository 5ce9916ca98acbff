"""The runner against a real HTTP server: every topology, every field of the results file.

Each test runs ``python -m loadtest`` in a child process, so locust's gevent monkey-patching
never reaches pytest's own process. Windows are short: these check the machinery, not speed.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from loadtest.results import RunResults

if TYPE_CHECKING:
    from conftest import CLI, Server

SHORT = ["--users", "4", "--spawn-rate", "4", "--warmup", "1", "--duration", "2", "--rows", "1000"]


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


def test_every_scenario_measured_and_every_field_filled(
    cli: CLI, contract_server: Server, tmp_path: Path
) -> None:
    result = cli(
        "run", "--target", f"stub={contract_server.url}", "--pid", f"stub={contract_server.pid}",
        "--watch", f"itself={contract_server.pid}", *SHORT, "--out", str(tmp_path),
        "--meta", "note=test",
    )  # fmt: skip
    path = results_file(result.stdout)
    document = json.loads(path.read_text())
    assert nulls(document) == []
    assert document["environment"]["note"] == "test"
    assert document["environment"]["versions"]["locust"] != "unknown"
    results = RunResults.read(path)
    assert [m.scenario for m in results.measurements] == ["demo", "demo-hit", "idle"]
    for m in results.measurements:
        assert m.target == "stub"
        assert m.requests > 0
        assert m.rps > 0
        assert m.failures == 0, m.errors
        assert 1.9 < m.window_s < 2.5
        assert m.rps == pytest.approx(m.requests / m.window_s, rel=0.01)
        assert 0 < m.latency_ms.p50 <= m.latency_ms.p90 <= m.latency_ms.p99 <= m.latency_ms.max
        assert m.service_cpu_s is not None
        assert m.service_cpu_s > 0
        assert m.generator_cpu_s > 0
        assert m.generator_utilisation > 0
        assert m.watched_cpu_s["itself"] == pytest.approx(m.service_cpu_s, abs=0.05)
    assert "demo-hit: " in result.stderr  # progress is logged as it goes


def test_local_worker_processes(cli: CLI, contract_server: Server, tmp_path: Path) -> None:
    result = cli(
        "run", "--target", f"stub={contract_server.url}", "--scenario", "idle",
        "--processes", "2", *SHORT, "--out", str(tmp_path),
    )  # fmt: skip
    (m,) = RunResults.read(results_file(result.stdout)).measurements
    assert m.requests > 0
    assert m.failures == 0
    assert m.service_cpu_s is None  # no --pid given
    assert m.generator_cpu_s > 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_external_workers_as_on_kubernetes(
    cli: CLI, contract_server: Server, tmp_path: Path
) -> None:
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
            "run", "--target", f"stub={contract_server.url}", "--scenario", "demo-hit",
            "--expect-workers", "1", "--expect-workers-max-wait", "60",
            "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
            *SHORT, "--out", str(tmp_path),
        )  # fmt: skip
        (m,) = RunResults.read(results_file(result.stdout)).measurements
        assert m.requests > 0
        assert m.failures == 0
        _, worker_log = worker.communicate(timeout=30)  # the master's quit ends the worker
        assert worker.returncode == 0, worker_log
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_bad_answers_are_failures(cli: CLI, contract_server: Server, tmp_path: Path) -> None:
    # Under /nope every path is a 404: each request must count as a failure.
    result = cli(
        "run", "--target", f"stub={contract_server.url}/nope", "--scenario", "idle",
        *SHORT, "--out", str(tmp_path),
    )  # fmt: skip
    (m,) = RunResults.read(results_file(result.stdout)).measurements
    assert m.requests > 0
    assert m.failures == m.requests
    assert any("HTTP 404" in message for message in m.errors)


def test_usage_errors(cli: CLI) -> None:
    assert cli("run", check=False, env={"LOADTEST_TARGETS": ""}).returncode == 2
    unknown = cli("run", "--target", "a=http://127.0.0.1:9", "--scenario", "nope", check=False)
    assert unknown.returncode == 2
    assert "unknown scenario" in unknown.stderr
    both = cli("run", "--target", "a=http://127.0.0.1:9", "--processes", "2",
               "--expect-workers", "2", check=False)  # fmt: skip
    assert both.returncode == 2
    assert "--expect-workers" in both.stderr
