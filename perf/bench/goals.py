"""Issue 13's targets, judged on one run: met, not met, or not comparable, with the figures.

Every target (``GOALS``) is read at ``CONNECTIONS`` connections, on ``/demo`` and ``/idle``;
``_mark`` keeps a mark honest by the rules of perf/README.md, "Issue 13's targets".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import product

from perf.bench.results import Role
from perf.bench.stats import Row, cores, find

CONNECTIONS = 64
PATHS = ("/demo", "/idle")
RPS_OVER_BLOG = {"django": 1.3, "flask": 1.0, "fastapi": 1.3, "starlette": 1.3}
MOONSHOT_OVER_FLOOR = 2.0

MET, NOT_MET, NOT_COMPARABLE = "met", "not met", "not comparable"


@dataclass(frozen=True)
class Verdict:
    """One target for one service on one path."""

    goal: str
    service: str
    path: str
    figure: str  # what was measured, against what
    verdict: str  # MET, NOT_MET or NOT_COMPARABLE
    reason: str  # why, when not met


@dataclass(frozen=True)
class Goal:
    title: str
    reference: str  # "blog" or "floor"
    # (service row, reference row) -> (figure, whether the target is reached)
    test: Callable[[Row, Row], tuple[str, bool]]
    only: str | None = None  # the one service it is for; None: every service


def _cpu_vs_blog(row: Row, blog: Row) -> tuple[str, bool]:
    us, blog_us = row.cpu_us_per_request, blog.cpu_us_per_request
    if us is None or blog_us is None:
        return "no CPU figure", False
    return f"{us:,.0f} vs {blog_us:,.0f} µs", us <= blog_us


def _rps_vs_blog(goal: float) -> Callable[[Row, Row], tuple[str, bool]]:
    def test(row: Row, blog: Row) -> tuple[str, bool]:
        ratio = row.rps / blog.rps if blog.rps else 0.0
        return f"{ratio:.2f}x ({row.rps:,.0f} vs {blog.rps:,.0f} req/s; ≥{goal:.1f}x)", (
            ratio >= goal
        )

    return test


def _moonshot(row: Row, floor: Row) -> tuple[str, bool]:
    us, floor_us = row.cpu_us_per_request, floor.cpu_us_per_request
    if us is None or not floor_us:
        return "no CPU figure", False
    ratio = us / floor_us
    return f"{ratio:.2f}x ({us:,.0f} vs {floor_us:,.0f} µs; ≤{MOONSHOT_OVER_FLOOR:.0f}x)", (
        ratio <= MOONSHOT_OVER_FLOOR
    )


GOALS = (
    Goal("CPU per request ≤ the blog app's", "blog", _cpu_vs_blog),
    *(
        Goal(f"req/s ≥ {goal:.1f}x the blog app's", "blog", _rps_vs_blog(goal), only=name)
        for name, goal in RPS_OVER_BLOG.items()
    ),
    Goal(f"moonshot: CPU per request ≤ {MOONSHOT_OVER_FLOOR:.0f}x the floor's", "floor", _moonshot),
)


def _mark(row: Row, reference: Row, reached: bool) -> tuple[str, str]:
    # A reference that failed or timed out, or was not CPU-bound (its figures are not its
    # limit), says nothing of the service.
    if why := _failed(reference) or _not_cpu_bound(reference):
        return NOT_COMPARABLE, why
    # A service row with a failed request or a timeout, or a wrong body, is never met.
    if why := _failed(row) or ("" if row.bodies.startswith("ok") else row.bodies):
        return NOT_MET, why
    # A row not CPU-bound is a lower bound: met if it reaches the target anyway, else no mark.
    if reached:
        return MET, ""
    if why := _not_cpu_bound(row):
        return NOT_COMPARABLE, why
    return NOT_MET, ""


def _failed(row: Row) -> str:
    if not row.failures:
        return ""
    return f"{row.target} failed {row.failures} requests ({row.timeouts} timeouts)"


def _not_cpu_bound(row: Row) -> str:
    if row.cpu_bound:
        return ""
    return f"{row.target} not CPU-bound: cpu {cores(row.target_cpu)}, {row.limit}-bound"


def verdicts(roles: Sequence[Role], rows: Sequence[Row]) -> list[Verdict]:
    """Every applicable target for every service, on each path, at ``CONNECTIONS``."""
    found = []
    for goal, role, path in product(GOALS, roles, PATHS):
        if role.kind != "service" or goal.only not in (None, role.name):
            continue
        against = (role.blog if goal.reference == "blog" else role.floor) or "?"
        row, reference = (find(rows, name, path, CONNECTIONS) for name in (role.name, against))
        if row is None or reference is None:
            why = f"{role.name if row is None else against} not measured"
            found.append(Verdict(goal.title, role.name, path, "", NOT_COMPARABLE, why))
        else:
            figure, reached = goal.test(row, reference)
            mark, why = _mark(row, reference, reached)
            found.append(Verdict(goal.title, role.name, path, figure, mark, why))
    return found
