"""Every figure the report states, derived from the results files alone; rendering is elsewhere.

Medians are ``statistics.median`` over the rounds (``summary.figure``), the one definition. The
pool's ceiling is its connections over the time one lookup takes at light load: no more lookups
per second get a connection, whatever the model. Sizing is Little's law on the fastest service.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from loadtest.summary import Summary
from loadtest.validation import is_wrong_answer
from loadtest.verdict import Measure, Question, Side, best_sides, capacity_measure, questions

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loadtest.results import RunResults, Search
    from loadtest.summary import Condition, Figure

POOL_BOUND_AT = 0.8  # of the pool's ceiling: from here the pool, not the model, is the limit
HEADROOM = 1.5  # a pool sized for the mean busy connections, with room for bursts
ABSOLUTE = Measure("req/s", higher_is_better=True, of=lambda cell: cell.absolute)


@dataclass(frozen=True)
class Group:
    """A column of a table, a group of bars: a condition, with the pool's ceiling under it and
    what its fastest service asks of the pool."""

    label: str
    condition: Condition
    fastest: str = ""  # the service with the highest median capacity (req/s)
    top: float = 0.0  # that capacity (0: none sustained)
    hold_ms: float = 0.0  # a lookup's time at light load (``light_hold``; 0: unknown)
    workers: int = 1
    pool: int | None = None  # connections per worker; None: not recorded
    ceiling: float | None = None  # lookups/s over every worker; None: unknown
    ceiling_per_core: float | None = None  # in the capacity's unit, for the charts

    @property
    def latency(self) -> float:
        return self.condition.db_latency_ms or 0.0

    @property
    def share(self) -> float:
        """The fastest service's capacity over the pool's ceiling."""
        return self.top / self.ceiling if self.ceiling else 0.0

    @property
    def per_worker(self) -> float:
        return self.top / self.workers

    @property
    def busy(self) -> float:
        """Connections the fastest service keeps busy per worker on average (Little's law)."""
        return self.per_worker * self.hold_ms / 1000

    @property
    def sized_pool(self) -> int:
        return math.ceil(self.busy * HEADROOM)


@dataclass(frozen=True)
class SweepLine:
    """A model's best service across the pool sizes of a sweep."""

    model: str
    target: str
    figures: list[Figure | None]  # one per pool size
    enough: int  # the smallest pool within noise of the best
    fall: float | None  # the largest pool's capacity, when below the best's range


@dataclass(frozen=True)
class Sweep:
    groups: list[Group]  # one per pool size, smallest first
    lines: list[SweepLine]


@dataclass(frozen=True)
class Analysis:
    summary: Summary
    slo: float
    measure: Measure  # capacity, per core when every target had an allowance
    questions: list[Question]
    baselines: list[Group]  # each scenario with nothing added
    latencies: list[Group]  # the lead scenario at each added database latency
    delayed: list[Condition]  # every scenario with database latency added (default pool)
    moves: list[tuple[Side, Figure]]  # each model's best at the least latency; it at the most
    sweeps: list[Sweep]

    @property
    def models(self) -> list[str]:
        return self.summary.models

    @property
    def cpu_measured(self) -> bool:
        rows = (self.summary.row(g.condition) for g in self.baselines)
        return any(cell.cpu_us is not None for row in rows for cell in row)


def analyse(runs: Sequence[RunResults]) -> Analysis:
    summary = Summary.of(runs)
    latencies = _latency_groups(summary)
    return Analysis(
        summary=summary,
        slo=runs[0].settings.slo_ms,
        measure=capacity_measure(summary),
        questions=[_unless_pool_bound(q, latencies) for q in questions(summary)],
        # No ceilings: the pool is not the baselines' question.
        baselines=[Group(c.scenario, c) for c in summary.baselines],
        latencies=latencies,
        delayed=[c for c in summary.conditions if c.db_latency_ms and c.default_pool],
        moves=_moves(summary, latencies),
        sweeps=_sweeps(summary),
    )


def _unless_pool_bound(question: Question, groups: Sequence[Group]) -> Question:
    """A row whose fastest service reached ``POOL_BOUND_AT`` of its pool's ceiling measured
    the pool, not the stacks (the database section says so): it is not ranked."""
    bound = next((g for g in groups if g.condition == question.condition), None)
    if bound is None or bound.share < POOL_BOUND_AT or question.why_unranked:
        return question
    why = (
        f"the pool was the limit (pools of {bound.pool}: the fastest service reached "
        f"{bound.share:.0%} of their ceiling)"
    )
    return replace(question, why_unranked=why)


def median(fig: Figure | None) -> float | None:
    return None if fig is None else fig.median


def light_hold(summary: Summary, condition: Condition) -> float:
    """The time one lookup takes at light load: the lowest, over the services, of the median
    p50 at their lightest sustained rate. It includes the HTTP exchange, so it errs high and
    the ceiling made from it errs low, never high. 0: no service sustained a rate."""
    holds = [m for c in summary.row(condition) if (m := median(c.light_p50)) is not None]
    return min(holds, default=0.0)


def _group(summary: Summary, label: str, condition: Condition) -> Group:
    pool = (
        condition.db_pool_size
        or summary.fitted_pools.get(condition)
        or summary.label_int("db_pool_size")
    )
    workers = summary.label_int("web_concurrency") or 1
    rated = [(m, c.target) for c in summary.row(condition) if (m := median(c.absolute))]
    top, fastest = max(rated, key=lambda kv: kv[0], default=(0.0, ""))
    hold = light_hold(summary, condition)
    if pool is None or not hold:
        return Group(label, condition, fastest, top, hold, workers, pool)
    ceiling = pool * workers * 1000 / hold
    allowance = summary.allowance if summary.per_core else 1.0
    per_core = ceiling / allowance if allowance else None
    return Group(label, condition, fastest, top, hold, workers, pool, ceiling, per_core)


def _latency_groups(summary: Summary) -> list[Group]:
    """The first scenario (`demo` where measured) at each recorded latency, default pool."""
    rows = [c for c in summary.conditions if c.db_latency_ms is not None and c.default_pool]
    if not any(c.db_latency_ms for c in rows):
        return []
    lead = rows[0].scenario
    return [_group(summary, f"+{c.db_latency_ms:g} ms", c) for c in rows if c.scenario == lead]


def _moves(summary: Summary, groups: Sequence[Group]) -> list[tuple[Side, Figure]]:
    if not groups:
        return []
    moves = []
    for side in best_sides(summary, groups[0].condition, ABSOLUTE).values():
        there = summary.cell(groups[-1].condition, side.service)
        if there is not None and (worst := there.absolute) is not None:
            moves.append((side, worst))
    return moves


def _sweeps(summary: Summary) -> list[Sweep]:
    """`demo` at each added latency measured with two pool sizes or more, smallest first (the
    conditions' order)."""
    if len({c.db_pool_size for c in summary.conditions if c.db_pool_size is not None}) < 2:
        return []
    swept: dict[float, list[Condition]] = {}
    for c in summary.conditions:
        if c.scenario == "demo" and c.db_latency_ms and c.db_pool_size is not None:
            swept.setdefault(c.db_latency_ms, []).append(c)
    return [
        Sweep([_group(summary, f"pool {c.db_pool_size}", c) for c in cs], _sweep_lines(summary, cs))
        for cs in swept.values()
        if len(cs) >= 2
    ]


def _sweep_lines(summary: Summary, conditions: Sequence[Condition]) -> list[SweepLine]:
    pools = [c.db_pool_size or 0 for c in conditions]
    rows = {
        target: [cell.capacity if (cell := summary.cell(c, target)) else None for c in conditions]
        for target in summary.targets
    }
    lines = []
    for model in summary.models:
        mine = [(t, f) for t, f in rows.items() if summary.stacks.get(t) == model and any(f)]
        if not mine:
            continue
        target, figures = max(mine, key=lambda row: max(f.median for f in row[1] if f))
        best = max((f for f in figures if f), key=lambda f: f.median)
        enough = next(p for p, f in zip(pools, figures, strict=True) if f and f.overlaps(best))
        largest = figures[-1]
        fall = largest.median if largest and not largest.overlaps(best) else None
        lines.append(SweepLine(model, target, figures, enough, fall))
    return lines


def step_marks(run: RunResults) -> list[tuple[str, int]]:
    """How many of ``run``'s steps each mark (generator-bound, late sends, ...) marked, most
    first."""
    return Counter(m for s in run.searches for step in s.steps for m in step.marks).most_common()


def failed_searches(runs: Sequence[RunResults]) -> list[str]:
    """What makes a run fail: a wrong answer at any load, a request failed at a rate the service
    sustained, or failures even at a search's lightest load. (A search that sustained no rate
    without failing a request is the machine's or the service's speed: the report shows it.)"""
    return [problem for run in runs for found in run.searches for problem in _problems(found)]


def _problems(found: Search) -> list[str]:
    where = f"{found.target} / {found.scenario}, round {found.round}"
    capacity = found.capacity.rps or 0.0
    lightest = min(found.rate_steps, key=lambda s: s.offered_rps or 0.0, default=None)
    problems = []
    for step in (s for s in found.steps if s.failures):
        offered = step.offered_rps
        if any(is_wrong_answer(m.split(": ", 1)[-1]) for m in step.errors):
            why = "wrong answers"
        elif offered is not None and offered <= capacity:
            why = "at a sustained rate"
        elif step is lightest:
            why = "at the lightest load tried"
        else:
            continue
        load = "the probe" if offered is None else f"{offered:,.0f} req/s"
        errors = ", ".join(f"{m} x {n}" for m, n in step.errors.items())
        problems.append(
            f"{where}: {step.failures} of {step.requests} failed at {load}, {why} ({errors})"
        )
    return problems
