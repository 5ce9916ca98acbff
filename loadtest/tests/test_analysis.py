"""The figures derived from the rounds, with three and four rounds made by hand: the medians are
``statistics.median``'s (the middle one, or the mean of the middle two), worked out here by hand;
and what fails a run."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from results_docs import (
    documents,
    quiet,
    render,
    set_capacities,
    set_light_p50,
    with_rounds,
)

from loadtest.analysis import failed_searches
from loadtest.results import RunResults

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class Case:
    rounds: int
    demo: dict[str, list[float]]  # capacities at +0 ms, one per round
    fastest: list[float]  # starlette's capacities at +5 ms (the others: 500)
    p50: list[float]  # starlette's p50 at its lightest sustained rate, +5 ms (the others: 20)
    expected: list[str]  # what the report must say, worked out by hand


THREE = Case(
    3,
    demo={
        "django": [600, 900, 700],  # 700
        "flask": [500, 450, 480],  # 480
        "fastapi": [1000, 1300, 1200],  # 1200
        "starlette": [800, 820, 810],  # 810
    },
    fastest=[1200, 1300, 1100],  # 1200
    p50=[6, 8, 7],  # 7 ms: the pool's ceiling 10 x 1000 / 7 = 1,429 lookups/s
    expected=[
        "| fastapi | asyncio | 1,200 (1,000-1,300) |",
        "first for flask (gevent), beyond 480 req/s offered, and last for fastapi (asyncio), "
        "beyond 1,200 req/s",
        "django (gevent) from 700 to 500 req/s (-29%); fastapi (asyncio) from 1,200 to 500 "
        "req/s (-58%)",
        # 1200 / 1428.6 = 84 %
        "at +5 ms the pool lets through 1,429 lookups/s and the fastest service reached 84% of "
        "it: the pool is the limit",
        "| pool ceiling (lookups/s) | |",
        # 1200 x 7 / 1000 = 8.4 connections; x 1.5 = 12.6, so 13
        "At +5 ms, the fastest service (starlette, 1,200 req/s per worker) keeps up to 8.4 "
        "connections busy on average (rate x a light-load lookup's 7 ms, Little's law): size "
        "the pool for at least 13 per worker",
    ],
)
FOUR = Case(
    4,
    demo={
        "django": [600, 900, 700, 800],  # (700 + 800) / 2 = 750
        "flask": [500, 450, 480, 470],  # (470 + 480) / 2 = 475
        "fastapi": [1000, 1300, 1200, 1100],  # 1150
        "starlette": [800, 820, 810, 830],  # 815
    },
    fastest=[1000, 1320, 1100, 1220],  # (1100 + 1220) / 2 = 1160
    p50=[6, 8, 7, 9],  # 7.5 ms: the ceiling 10 x 1000 / 7.5 = 1,333 lookups/s
    expected=[
        "| fastapi | asyncio | 1,150 (1,000-1,300) |",
        "first for flask (gevent), beyond 475 req/s offered, and last for fastapi (asyncio), "
        "beyond 1,150 req/s",
        "django (gevent) from 750 to 500 req/s (-33%); fastapi (asyncio) from 1,150 to 500 "
        "req/s (-57%)",
        # 1160 / 1333.3 = 87 %
        "at +5 ms the pool lets through 1,333 lookups/s and the fastest service reached 87% of "
        "it: the pool is the limit",
        # 1160 x 7.5 / 1000 = 8.7 connections; x 1.5 = 13.05, so 14
        "At +5 ms, the fastest service (starlette, 1,160 req/s per worker) keeps up to 8.7 "
        "connections busy on average (rate x a light-load lookup's 7.5 ms, Little's law): size "
        "the pool for at least 14 per worker",
    ],
)


@pytest.mark.parametrize("case", [THREE, FOUR], ids=["three rounds", "four rounds"])
def test_medians_ceilings_and_sizing_over_odd_and_even_rounds(case: Case, tmp_path: Path) -> None:
    docs = with_rounds(quiet(documents()), case.rounds)
    set_capacities(docs, "demo", case.demo)
    others = {t: [500.0] * case.rounds for t in ("django", "flask", "fastapi")}
    set_capacities(docs, "demo", {**others, "starlette": case.fastest}, latency="5")
    slow = {t: [20.0] * case.rounds for t in others}
    set_light_p50(docs, "5", {**slow, "starlette": case.p50})
    text = render(docs, tmp_path)
    for expected in case.expected:
        assert expected in text


def run_with(tmp_path: Path, index: int, message: str, capacity: float | None) -> RunResults:
    """The first fixture with its first search (django, `demo`: the probe, then 550 ✓, 830 ✗,
    680 ✓) failing 3 requests at step ``index`` with ``message``, at this capacity."""
    doc = documents()[0]
    found = doc["searches"][0]
    assert [s["offered_rps"] for s in found["steps"]] == [None, 550, 830, 680]
    for step in doc["searches"][0]["steps"]:
        step.update(failures=0, errors={})
    found["steps"][index].update(failures=3, errors={f"GET /demo: {message}": 3})
    found["capacity"]["rps"] = capacity
    doc["searches"] = [found]
    path = tmp_path / "loadtest-x.json"
    path.write_text(json.dumps(doc))
    return RunResults.read(path)


@pytest.mark.parametrize(
    ("index", "message", "capacity", "why"),
    [
        (2, "HTTP 503", 680, None),  # above the capacity: overload
        (0, "HTTP 503", 680, None),  # the probe, flat out: overload
        (3, "HTTP 503", 680, "at a sustained rate"),
        (1, "HTTP 503", 680, "at a sustained rate"),
        (2, "no row for a seeded name (x)", 680, "wrong answers"),
        (0, "HTTP 404", 680, "wrong answers"),
        (1, "[Errno 111] Connection refused", None, "at the lightest load tried"),
        (3, "HTTP 503", None, None),  # nothing sustained, and not the lightest: slow, not wrong
    ],
)
def test_what_fails_a_run(
    tmp_path: Path, index: int, message: str, capacity: float | None, why: str | None
) -> None:
    problems = failed_searches([run_with(tmp_path, index, message, capacity)])
    if why is None:
        assert problems == []
    else:
        (problem,) = problems
        assert problem.startswith("django / demo, round 1: 3 of ")
        assert why in problem
