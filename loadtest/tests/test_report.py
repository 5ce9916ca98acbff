"""The report renders from recorded results files (tests/fixtures/, from a real bench run)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from loadtest.report import CONTENDED, GENERATOR_BOUND, write_report
from loadtest.results import RunResults

if TYPE_CHECKING:
    from conftest import CLI

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("loadtest-*.json"))
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_fixtures_are_there() -> None:
    assert FIXTURES
    for path in FIXTURES:
        RunResults.read(path)


def test_one_section_per_scenario_with_charts(tmp_path: Path) -> None:
    report = write_report(FIXTURES, tmp_path)
    text = report.read_text()
    measurements = [m for path in FIXTURES for m in RunResults.read(path).measurements]
    scenarios = list(dict.fromkeys(m.scenario for m in measurements))
    for scenario in scenarios:
        assert f"## Scenario `{scenario}`" in text
        for chart in (f"throughput-{scenario}.png", f"latency-{scenario}.png"):
            assert f"]({chart})" in text
            assert (tmp_path / chart).read_bytes().startswith(PNG_MAGIC)
    for m in measurements:
        assert f"| {m.target} | " in text
        assert f"{m.rps:,.0f}" in text
    assert "## Environment" in text
    assert "## Settings" in text


def test_generator_bound_results_are_marked(tmp_path: Path) -> None:
    document = json.loads(FIXTURES[0].read_text())
    for m in document["measurements"]:
        m["generator_bound"] = False
    document["measurements"][0]["generator_bound"] = True
    marked = tmp_path / FIXTURES[0].name
    marked.write_text(json.dumps(document))
    text = write_report([marked], tmp_path / "out").read_text()
    first = RunResults.read(marked).measurements[0]
    assert f"{first.rps:,.0f}{GENERATOR_BOUND}" in text
    assert text.count(GENERATOR_BOUND) == 1 + 2  # the legend's, the summary's, the section's


def test_contended_windows_are_marked(tmp_path: Path) -> None:
    document = json.loads(FIXTURES[0].read_text())
    quiet, busy = document["measurements"][:2]
    for m, others in ((quiet, 0.1), (busy, 0.6)):
        ours = m["service_cpu_s"] + sum(m["watched_cpu_s"].values()) + m["generator_cpu_s"]
        m["machine_cpu_cores"] = ours / m["window_s"] + others
    document["measurements"] = [quiet, busy]
    path = tmp_path / FIXTURES[0].name
    path.write_text(json.dumps(document))
    text = write_report([path], tmp_path / "out").read_text()
    assert f"{quiet['rps']:,.0f}{CONTENDED}" not in text
    assert f"{busy['rps']:,.0f}{CONTENDED}" in text
    assert "| 0.60 |" in text  # the other processes' cores, in the table


def test_unknown_schema_is_refused(tmp_path: Path) -> None:
    document = json.loads(FIXTURES[0].read_text())
    document["schema"] = 999
    path = tmp_path / "future.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="schema"):
        RunResults.read(path)


def test_command_line(cli: CLI, tmp_path: Path) -> None:
    result = cli("report", *map(str, FIXTURES), "--out", str(tmp_path))
    assert Path(result.stdout.strip()) == tmp_path / "report.md"
    assert (tmp_path / "report.md").is_file()
