"""Issue 13's targets: met, not met, not comparable, by the honesty rules (goals.py)."""

from __future__ import annotations

import pytest

from perf.bench import goals
from perf.bench.results import Measurement
from perf.bench.stats import summarise
from perf.tests.recorded import CLEAN, ROLES, measurement, replaced


def verdict(runs: list[Measurement] | None = None, **which: str) -> goals.Verdict:
    found = [
        v
        for v in goals.verdicts(ROLES, summarise(ROLES, runs or CLEAN))
        if all(getattr(v, key) == value for key, value in which.items())
    ]
    assert len(found) == 1, found
    return found[0]


CPU = "CPU per request ≤ the blog app's"
RPS = "req/s ≥ 1.3x the blog app's"
MOONSHOT = "moonshot: CPU per request ≤ 2x the floor's"


def test_every_target_for_every_service_and_path() -> None:
    found = goals.verdicts(ROLES, summarise(ROLES, CLEAN))
    assert {(v.goal, v.service, v.path) for v in found} == {
        (goal, service, path)
        for goal in (CPU, RPS, MOONSHOT)
        for service in ("django", "fastapi")
        for path in ("/demo", "/idle")
    }


def test_clean_recorded_run() -> None:
    # django /demo: 2.65x the blog's req/s, 39% of its CPU per request, 2.29x the floor's.
    assert verdict(goal=RPS, service="django", path="/demo").verdict == goals.MET
    assert verdict(goal=CPU, service="django", path="/demo").verdict == goals.MET
    moonshot = verdict(goal=MOONSHOT, service="django", path="/demo")
    assert (moonshot.verdict, moonshot.reason) == (goals.NOT_MET, "")
    assert moonshot.figure.startswith("2.29x (1,129 vs 492 µs")
    # fastapi /idle: 1.29x the blog's req/s, short of 1.3x.
    assert verdict(goal=RPS, service="fastapi", path="/idle").verdict == goals.NOT_MET


def test_a_service_row_with_timeouts_is_never_met() -> None:
    runs = replaced(
        CLEAN, measurement("django", "/demo", 868, 0.98, timeouts=3, p99_ms=None)
    )  # the same figures, which meet the target, but with three timeouts
    judged = verdict(runs, goal=RPS, service="django", path="/demo")
    assert judged.verdict == goals.NOT_MET
    assert "3 timeouts" in judged.reason


NOT_COMPARABLE_CASES = {
    # recorded: blog-django /demo at cpu 0.885 beside a busy neighbour
    "blog app not CPU-bound, req/s": (
        measurement("blog-django", "/demo", 694, 0.885), RPS, "django", "/demo",
        "blog-django not CPU-bound",
    ),
    "blog app not CPU-bound, CPU": (
        measurement("blog-django", "/demo", 694, 0.885), CPU, "django", "/demo",
        "blog-django not CPU-bound",
    ),
    "blog app timed out": (
        measurement("blog-django", "/demo", 328, 0.96, timeouts=966), RPS, "django", "/demo",
        "966 timeouts",
    ),
    # recorded: floor-asyncio /idle beside a busy load CPU
    "floor load-bound": (
        measurement("floor-asyncio", "/idle", 25797, 0.573, load_cpu=0.936), MOONSHOT,
        "fastapi", "/idle", "load-bound",
    ),
    # its req/s is a lower bound that misses the target: no mark either way
    "service load-bound, missed": (
        measurement("django", "/demo", 400, 0.6, load_cpu=0.99), RPS, "django", "/demo",
        "django not CPU-bound",
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    ("changed", "goal", "service", "path", "reason"),
    NOT_COMPARABLE_CASES.values(),
    ids=NOT_COMPARABLE_CASES.keys(),
)
def test_not_comparable(
    changed: Measurement, goal: str, service: str, path: str, reason: str
) -> None:
    judged = verdict(replaced(CLEAN, changed), goal=goal, service=service, path=path)
    assert judged.verdict == goals.NOT_COMPARABLE
    assert reason in judged.reason


def test_a_load_bound_service_that_reaches_the_target_meets_it() -> None:
    # Its req/s is a lower bound: reaching the target anyway is a mark.
    runs = replaced(CLEAN, measurement("django", "/demo", 868, 0.6, wrk_cpu=0.95))
    assert verdict(runs, goal=RPS, service="django", path="/demo").verdict == goals.MET


def test_a_missing_reference_is_not_comparable() -> None:
    runs = [m for m in CLEAN if m.target != "blog-fastapi"]
    judged = verdict(runs, goal=CPU, service="fastapi", path="/demo")
    assert judged.verdict == goals.NOT_COMPARABLE
    assert "blog-fastapi not measured" in judged.reason


def test_flask_has_its_own_req_s_target() -> None:
    assert [(g.title, g.only) for g in goals.GOALS if g.only in ("flask", "django")] == [
        ("req/s ≥ 1.3x the blog app's", "django"),
        ("req/s ≥ 1.0x the blog app's", "flask"),
    ]
