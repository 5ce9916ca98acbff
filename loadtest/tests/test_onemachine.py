"""``run --generator wrk``: the runner's searches with wrk offering the load, the instrument
calibrated first and each step marked where the load side may have decided it."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest

from loadtest.calibration import no_work_target
from loadtest.results import RunResults

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from conftest import CLI

LOAD_CORE = max(os.sched_getaffinity(0))


@pytest.fixture
def target() -> Iterator[str]:
    with no_work_target() as url:
        yield url.removesuffix("/idle")


def _run(cli: CLI, target: str, out: Path, *extra: str) -> RunResults:
    cli(
        "run", "--generator", "wrk", "--target", f"t={target}", "--scenario", "idle",
        "--rate", "200", "--rate", "400", "--repeats", "1", "--window", "1", "--settle", "0",
        "--max-rate", "500", "--cpus", str(LOAD_CORE), "--out", str(out), *extra,
    )  # fmt: skip
    (path,) = out.glob("loadtest-*.json")
    return RunResults.read(path)


def test_wrk_offers_the_rates_and_the_results_carry_its_calibration(
    cli: CLI, target: str, tmp_path: Path
) -> None:
    results = _run(cli, target, tmp_path)
    assert results.settings.generator == "wrk"
    assert [point["offered_rps"] for point in results.calibration] == [250.0, 500.0]
    assert all(point["generator_us_per_request"] > 0 for point in results.calibration)
    (found,) = results.searches
    assert [step.offered_rps for step in found.steps] == [200.0, 400.0]
    for step in found.steps:
        assert step.offered_rps is not None
        assert step.requests == pytest.approx(step.offered_rps * step.window_s, rel=0.1)
        assert step.failures == 0
        assert step.latency_ms.count == pytest.approx(step.requests, rel=0.03)  # two counters
        assert step.generator_cpu_s > 0


def test_a_filled_load_core_marks_every_step(cli: CLI, target: str, tmp_path: Path) -> None:
    """A process spinning on the generator's core: the steps measured the instrument too, so
    they are marked, and marked steps count as the generator's limit, never the service's."""
    with subprocess.Popen(
        ["taskset", "-c", str(LOAD_CORE), sys.executable, "-c", "while True: pass"]
    ) as spinner:
        try:
            results = _run(cli, target, tmp_path)
        finally:
            spinner.kill()
    (found,) = results.searches
    for step in found.steps:
        assert any("load side's cores were" in mark for mark in step.marks), step.marks
        assert step.generator_bound
    assert found.capacity.rps is None or found.capacity.lower_bound


def test_locust_stays_the_default(cli: CLI) -> None:
    shown: Any = cli("run", "--help").stdout
    assert "--generator" in shown
    assert "default locust" in shown.replace("\n", " ").replace("  ", " ")
