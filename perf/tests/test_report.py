"""The report and the chart, from a recorded results file (the README's example run)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from perf.bench import cli
from perf.bench.analysis import analyse
from perf.bench.chart import ladder_png
from perf.bench.report import markdown
from perf.bench.results import Measurement, Results

PERF = Path(__file__).resolve().parents[1]
RECORDED = PERF / "docs" / "perf.json"


@pytest.fixture(scope="module")
def recorded() -> Results:
    return Results.load(RECORDED)


def test_the_readme_example_is_the_report_of_its_results_file(recorded: Results) -> None:
    text = (PERF / "README.md").read_text()
    block = text.split(cli.BEGIN + "\n", 1)[1].split(cli.END, 1)[0]
    assert block == markdown(recorded, analyse(recorded), chart=cli.README_CHART, level=3)
    assert (PERF / cli.README_CHART).read_bytes().startswith(b"\x89PNG")


def test_every_section(recorded: Results) -> None:
    analysis = analyse(recorded)
    text = markdown(recorded, analysis, chart="x.png")
    for heading in ("## Targets (issue 13", "## The ladder", "## Every row", "## Verdict"):
        assert heading in text
    assert "![The ladder of each stack and floor](x.png)" in text
    for role in recorded.roles:
        assert f"| {role.name} |" in text
    # Every target, path and concurrency measured has its row, and every service its ladder.
    s = recorded.settings
    assert len(analysis.rows) == len(recorded.roles) * len(s.paths) * len(s.connections)
    assert [ladder.target for ladder in analysis.ladders if ladder.kind == "service"] == [
        role.name for role in recorded.roles if role.kind == "service"
    ]
    assert len(analysis.verdicts) == 4 * 3 * 2  # four services, three targets, two paths


def test_a_p99_beyond_the_timeout_is_shown_as_such(recorded: Results) -> None:
    # Every round of one row late (the row is the rounds' median): the same tenth of each.
    first = recorded.measurements[0]
    cell = (first.target, first.path, first.connections)

    def late(m: Measurement) -> Measurement:
        if (m.target, m.path, m.connections) != cell:
            return m
        return dataclasses.replace(m, p99_ms=None, errors={**m.errors, "timeout": m.requests // 10})

    changed = dataclasses.replace(recorded, measurements=[late(m) for m in recorded.measurements])
    # The row sums the measuring rounds' timeouts (round 0, the warm-up, is never counted).
    runs = [m for m in changed.measurements if (m.target, m.path, m.connections) == cell]
    timeouts = sum(m.timeouts for m in runs if m.round > 0)
    text = markdown(changed, analyse(changed))
    section = text.split(f"### {first.path}, {first.connections} connections\n", 1)[1]
    row = next(line for line in section.splitlines() if line.startswith(f"| {first.target} | "))
    assert "| > 2,000 |" in row
    assert f"({timeouts:,}) |" in row  # failures, timeouts in brackets


def test_the_chart_is_a_png(recorded: Results) -> None:
    png = ladder_png(analyse(recorded).ladders, "title")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 10_000


def test_the_report_command_redoes_the_files_beside_the_results(tmp_path: Path) -> None:
    copy = tmp_path / "perf-20261201T000000Z.json"
    shutil.copy(RECORDED, copy)
    assert cli.main(["report", str(copy)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "perf-20261201T000000Z-ladder.png",
        "perf-20261201T000000Z.json",
        "perf-20261201T000000Z.md",
    ]
    assert "perf-20261201T000000Z-ladder.png" in (tmp_path / "perf-20261201T000000Z.md").read_text()
