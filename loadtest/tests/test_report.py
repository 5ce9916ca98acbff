"""The report from recorded results (tests/fixtures/, a real `nox -s bench -- --quick
--repeats 2`): every section, and every verdict sentence checked against figures computed here
from the raw JSON. Figures worked out by hand: ``test_analysis.py``, ``test_verdict.py``."""

from __future__ import annotations

import copy
import json
import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from results_docs import (
    FIXTURES,
    Doc,
    documents,
    quiet,
    render,
    save,
    searches,
    sentence,
    set_capacities,
    table_row,
)

from loadtest.markdown import CONTENDED as CONTENDED_MARK
from loadtest.report import BEGIN, END, write_readme_block, write_report
from loadtest.results import RunResults

if TYPE_CHECKING:
    from conftest import CLI

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CAPACITY_ROWS = {
    "DB lookup at the SLO": ("demo", "0"),
    "DB lookup with rows serialised": ("demo-hit", "0"),
    "No database (`/idle`)": ("idle", "0"),
    "DB lookup at +1 ms per round trip": ("demo", "1"),
    "DB lookup at +5 ms per round trip": ("demo", "5"),
}


@dataclass(frozen=True)
class Best:
    service: str
    median: float
    low: float
    high: float
    lower_bound: bool


def best_by_stack(docs: list[Doc], scenario: str, latency: str) -> dict[str, Best]:
    """Each stack's best service by median capacity per core, computed from the raw JSON."""
    stacks = {
        key.removeprefix("stack."): value
        for doc in docs
        for key, value in doc["environment"].items()
        if key.startswith("stack.")
    }
    allowance = {t["name"]: t["cpu_allowance"] for doc in docs for t in doc["targets"]}
    per_target: dict[str, list[Doc]] = {}
    for search in searches(docs, scenario, latency):
        per_target.setdefault(search["target"], []).append(search)
    best: dict[str, Best] = {}
    for target, found in per_target.items():
        values = [s["capacity"]["rps"] / allowance[target] for s in found if s["capacity"]["rps"]]
        if not values:
            continue
        candidate = Best(
            target,
            statistics.median(values),
            min(values),
            max(values),
            any(s["capacity"]["lower_bound"] for s in found),
        )
        stack = stacks[target]
        if stack not in best or candidate.median > best[stack].median:
            best[stack] = candidate
    return best


def test_every_section_renders_with_its_charts(tmp_path: Path) -> None:
    text = write_report(FIXTURES, tmp_path).read_text()
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert headings == [
        "Verdict",
        "Capacity per core",
        "Latency against load",
        "Database latency",
        "CPU per request",
        "Every search",
        "What these results do not measure",
        "Method",
        "The instrument",
        "Environment",
    ]
    linked = re.findall(r"\]\(([^)]+\.png)\)", text)
    for chart in linked:
        assert (tmp_path / chart).read_bytes().startswith(PNG_MAGIC)
    # Every chart drawn is linked, once.
    assert sorted(linked) == sorted(path.name for path in tmp_path.glob("*.png"))
    for scenario in ("demo", "demo-hit", "idle"):
        assert f"](latency-{scenario}.png)" in text
    assert "](latency-demo-5ms.png)" in text
    # Each section opens with a sentence made from its figures.
    for heading in ("Capacity per core", "Latency against load", "Database latency"):
        opening = text.split(f"## {heading}\n\n", 1)[1].split("\n", 1)[0]
        assert opening.endswith(".")
        assert re.search(r"\d", opening), opening
    assert "pool sizes other than the default" in text  # not swept in a default run


def test_each_verdict_sentence_agrees_with_its_figures(tmp_path: Path) -> None:
    docs = quiet(documents())
    text = render(docs, tmp_path)
    checked = 0
    for title, (scenario, latency) in CAPACITY_ROWS.items():
        best = best_by_stack(docs, scenario, latency)
        gevent, asyncio = best["gevent"], best["asyncio"]
        win, lose = (gevent, asyncio) if gevent.median > asyncio.median else (asyncio, gevent)
        winner = "gevent" if win is gevent else "asyncio"
        ratio = win.median / lose.median
        overlap = win.low <= lose.high and lose.low <= win.high
        said = sentence(text, title)
        row = table_row(text, title)
        if lose.lower_bound:
            assert "not ranked" in said
            assert row[3] == "not ranked"
            continue
        assert f"{title}: {winner} " in said
        assert f"its best, {win.service}, sustains " in said
        assert f"{win.median:,.0f} req/s per core" in said
        assert f"{ratio:.2f} times" in said
        assert f"{lose.service} ({lose.median:,.0f}" in said
        assert ("within noise" in said) == overlap
        assert (f"{winner} is ahead" in said) == overlap
        assert row[3] == winner
        assert row[4].endswith(f"{ratio:.2f}")
        assert (row[5] == "within noise") == overlap
        checked += 1
    assert checked >= 3


def test_within_noise_and_clear_wins_are_told_apart(tmp_path: Path) -> None:
    docs = quiet(documents())
    close = {"flask": [1000, 1100], "django": [500, 600], "fastapi": [1050, 900]}
    set_capacities(docs, "demo", {**close, "starlette": [700, 800]})
    clear = {"flask": [2000, 2100], "django": [1900, 1950], "fastapi": [1000, 1100]}
    set_capacities(docs, "demo-hit", {**clear, "starlette": [900, 1200]})
    text = render(docs, tmp_path)
    said = sentence(text, "DB lookup at the SLO")
    assert "gevent is ahead" in said
    assert "flask, sustains 1,050 req/s per core" in said
    assert f"{1050 / 975:.2f} times asyncio's best, fastapi (975" in said
    assert "the rounds' ranges overlap: within noise" in said
    assert table_row(text, "DB lookup at the SLO")[5] == "within noise"
    said = sentence(text, "DB lookup with rows serialised")
    assert "gevent wins" in said
    assert f"{2050 / 1050:.2f} times" in said
    assert "do not overlap" in said
    assert table_row(text, "DB lookup with rows serialised")[5] == ""


def test_generator_bound_figures_are_lower_bounds_and_cannot_win_by_default(
    tmp_path: Path,
) -> None:
    docs = quiet(documents())
    # idle: asyncio's best hit the generator's limit above gevent's best: it wins, by at least.
    idle = {"django": [600, 650], "flask": [700, 720], "fastapi": [1500, 1600]}
    set_capacities(docs, "idle", {**idle, "starlette": [1400, 1450]}, bound="fastapi")
    # demo: the loser's figure is a lower bound, so it might be the higher: not ranked.
    demo = {"django": [300, 320], "flask": [200, 220], "fastapi": [900, 950]}
    set_capacities(docs, "demo", {**demo, "starlette": [800, 850]}, bound="django")
    text = render(docs, tmp_path)
    said = sentence(text, "No database (`/idle`)")
    assert "asyncio wins" in said
    assert "≥ 1,550† req/s per core" in said
    assert f"at least {1550 / 710:.2f} times" in said
    assert "a lower bound: the load generator was the limit" in said
    assert table_row(text, "No database (`/idle`)")[4] == f"≥ {1550 / 710:.2f}"
    unranked = sentence(text, "DB lookup at the SLO")
    assert "not ranked" in unranked
    assert "gevent's best (django) is a lower bound" in unranked
    assert table_row(text, "DB lookup at the SLO")[3] == "not ranked"
    # The capacity table marks it too.
    assert "| django | gevent | ≥ 310† (300-320) |" in text


def test_contended_figures_are_marked(tmp_path: Path) -> None:
    docs = quiet(documents())
    for search in searches(docs, "demo", "0", "starlette"):
        for step in search["steps"]:
            step["machine_cpu_cores"] += 0.6  # something else took 0.6 of a core
    text = render(docs, tmp_path)
    capacity = text.split("## Capacity per core", 1)[1].split("## ", 1)[0]
    (row,) = [line for line in capacity.splitlines() if line.startswith("| starlette |")]
    assert "‡" in row.split("|")[3]  # demo
    assert "‡" not in row.split("|")[4]  # demo-hit


def test_unknown_schema_is_refused(tmp_path: Path) -> None:
    document = json.loads(FIXTURES[0].read_text())
    document["schema"] = 999
    path = tmp_path / "future.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="schema"):
        RunResults.read(path)


def test_the_readme_block_is_inserted_once_then_regenerated(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n\nThe rest, untouched.\n")
    out = tmp_path / "docs" / "bench"
    report = write_report(FIXTURES, out)
    write_readme_block(FIXTURES, report, readme)
    first = readme.read_text()
    assert first.startswith(f"# Title\n\n{BEGIN}\n")
    assert first.count(BEGIN) == first.count(END) == 1
    assert first.endswith("The rest, untouched.\n")
    assert "](docs/bench/report.md)" in first
    assert "![Latency against load, demo](docs/bench/latency-demo.png)" in first
    assert "| DB lookup at the SLO |" in first
    assert "nox -s bench" in first  # the command that made the figures
    readme.write_text(first.replace("| DB lookup at the SLO |", "| an older figure |"))
    write_readme_block(FIXTURES, report, readme)
    assert readme.read_text() == first  # regenerated in place, not appended


def test_command_line(cli: CLI, tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n")
    result = cli("report", *map(str, FIXTURES), "--out", str(tmp_path), "--readme", str(readme))
    assert Path(result.stdout.strip()) == tmp_path / "report.md"
    assert BEGIN in readme.read_text()


def test_a_pool_sweep_gets_its_own_tables(tmp_path: Path) -> None:
    docs = documents()
    swept = []
    for doc in docs:
        if doc["labels"]["db_latency_ms"] in {"1", "5"}:
            wider = copy.deepcopy(doc)
            wider["labels"]["db_pool_size"] = "20"
            wider["started_at"] = wider["started_at"].replace("Z", "9Z")
            swept.append(wider)
    paths = save(docs, tmp_path / "in")
    for n, doc in enumerate(swept):
        path = tmp_path / "in" / f"loadtest-swept-{n}.json"
        path.write_text(json.dumps(doc))
        paths.append(path)
    text = write_report(paths, tmp_path).read_text()
    sweep = text.split("### Pool size", 1)[1].split("## ", 1)[0]
    for latency in ("1", "5"):
        assert f"`demo` at +{latency} ms (req/s per core):" in sweep
        part = sweep.split(f"At +{latency} ms", 1)[1].split("\nAt +", 1)[0]
        # The wider pool's ceiling is twice the default's: the same lookups, twice the slots.
        (row,) = [line for line in part.splitlines() if line.startswith("| pool ceiling")]
        narrow, wide = (float(c.replace(",", "")) for c in row.strip("|").split("|")[2:4])
        assert wide == pytest.approx(2 * narrow, rel=0.001)
        # The same capacities with 20 connections as with 10: no stack gains past 10.
        (said,) = [line for line in sweep.splitlines() if line.startswith(f"At +{latency} ms")]
        assert said.count("within noise of its best from 10 connections") == 2, said
    assert "pool sizes other than the default" not in text


def test_a_cluster_run_without_labels_or_local_cpu_says_what_it_did_not_measure(
    tmp_path: Path,
) -> None:
    docs = [doc for doc in documents() if doc["labels"]["db_latency_ms"] == "0"]
    for doc in docs:
        doc["labels"] = {}
        doc["environment"] = {k: v for k, v in doc["environment"].items() if k != "service_cpus"}
        doc["environment"]["workers"] = "4"
        for target in doc["targets"]:
            target.update(cpu_allowance=None, cpu_source="k8s:bench/app=x")
        for found in doc["searches"]:
            for step in found["steps"]:
                step.update(service_cpu_s=None, watched_cpu_s={}, machine_cpu_cores=0.3)
    path = tmp_path / "in" / "loadtest-cluster.json"
    path.parent.mkdir()
    path.write_text(json.dumps(docs[0]))
    text = write_report([path], tmp_path).read_text()
    assert "## Capacity\n" in text  # no allowance: req/s, not per core
    assert "req/s per core" not in text
    assert "Database latency\n\nNot measured" in text
    assert "CPU per request\n\nNot measured" in text
    missing = text.split("## What these results do not measure", 1)[1].split("## ", 1)[0]
    assert "added database latency" in missing
    assert "capacity per core" in missing
    assert "service CPU in some windows" in missing
    assert "4 locust workers" in text
    verdict = text.split("## Verdict", 1)[1].split("## Capacity", 1)[0]
    rows = [line for line in verdict.splitlines() if line.startswith("| ")]
    assert rows
    assert not [row for row in rows if CONTENDED_MARK in row]  # contention is local only


def test_the_instrument_section_names_the_generator_and_its_own_figures(tmp_path: Path) -> None:
    """Which generator measured, what its latency means, its calibration, the proxy's cost and
    the marks are in the report, from the results files alone."""
    docs = documents()
    docs[0]["settings"]["generator"] = "wrk"
    docs[0]["environment"].update(
        {"injector.added_p50_ms": "0.05", "injector.added_p99_ms": "1.25",
         "injector.cpu_us_per_round_trip": "61.4"}
    )  # fmt: skip
    docs[0]["calibration"] = [
        {"offered_rps": 1000.0, "achieved_rps": 998.0, "p50_ms": 0.31, "p99_ms": 2.5,
         "generator_us_per_request": 42.0, "late_share": 0.002, "worst_late_ms": 3.0,
         "load_cpus_busy": 0.1},
    ]  # fmt: skip
    docs[1]["calibration"] = docs[0]["calibration"]  # a later phase reuses the first's
    docs[0]["searches"][0]["steps"][0]["marks"] = ["load cores 93% busy"]
    text = render(docs, tmp_path)
    section = text.split("## The instrument", 1)[1].split("\n## ", 1)[0]
    assert "wrk, latency from the request's write" in section
    assert "locust, latency from a paced user's send" in section  # the other fixtures
    assert "added 0.05 ms at p50 and 1.25 ms at p99 per round trip, for 61 µs" in section
    assert "load cores 93% busy x 1" in section
    assert section.count("| 1,000 | 998 | 0.31 | 2.50 | 42 | 0.2% |") == 1
