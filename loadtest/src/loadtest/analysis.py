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

from loadtest.settings import DEFAULT_POOL_SIZE
from loadtest.summary import Summary
from loadtest.validation import is_wrong_answer
from loadtest.verdict import Question, capacity_measure, questions

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loadtest.results import RunResults, Search
    from loadtest.summary import Cell, Condition, Figure
    from loadtest.verdict import Measure

POOL_BOUND_AT = 0.8  # of the pool's ceiling: from here the pool, not the model, is the limit
HEADROOM = 1.5  # a pool sized for the mean busy connections, with room for bursts


@dataclass(frozen=True)
class Group:
    """A column of a table, a group of bars: a condition, with the pool's ceiling under it."""

    label: str
    condition: Condition
    top: float = 0.0  # the fastest service's median capacity, req/s (0: none sustained)
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


@dataclass(frozen=True)
class Move:
    """A model's best service's capacity (req/s) without and with the most added latency."""

    model: str
    target: str
    base: float
    worst: float


@dataclass(frozen=True)
class Sizing:
    latency: float
    target: str
    per_worker: float  # req/s
    hold_ms: float  # a light-load lookup's time
    busy: float  # connections busy on average (Little's law)

    @property
    def pool(self) -> int:
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
    latency: float
    groups: list[Group]
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
    moves: list[Move]
    sizing: list[Sizing]
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
    bases = [(s, c) for s in summary.scenarios() if (c := summary.baseline(s)) is not None]
    baselines = [Group(s, c) for s, c in bases]  # no ceilings: the pool is not their question
    latencies = _latency_groups(summary)
    return Analysis(
        summary=summary,
        slo=runs[0].settings.slo_ms,
        measure=capacity_measure(summary),
        questions=[_unless_pool_bound(q, latencies) for q in questions(summary)],
        baselines=baselines,
        latencies=latencies,
        delayed=[c for c in _defaults(summary) if c.db_latency_ms],
        moves=_moves(summary, latencies),
        sizing=_sizing(summary, latencies),
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


def light_hold(summary: Summary, condition: Condition) -> float | None:
    """The time one lookup takes at light load: the lowest, over the services, of the median
    p50 at their lightest sustained rate. It includes the HTTP exchange, so it errs high and
    the ceiling made from it errs low, never high."""
    holds = [m for c in summary.row(condition) if (m := median(c.light_p50)) is not None]
    return min(holds, default=None)


def _group(summary: Summary, label: str, condition: Condition) -> Group:
    pool = (
        condition.db_pool_size
        or summary.fitted_pools.get(condition)
        or summary.label_int("db_pool_size")
    )
    workers = summary.label_int("web_concurrency") or 1
    hold = light_hold(summary, condition)
    top = fastest(summary, condition)
    group = Group(label, condition, top[1] if top else 0.0, pool)
    if pool is None or not hold:
        return group
    ceiling = pool * workers * 1000 / hold
    allowance = summary.allowance if summary.per_core else 1.0
    per_core = ceiling / allowance if allowance else None
    return replace(group, ceiling=ceiling, ceiling_per_core=per_core)


def _defaults(summary: Summary) -> list[Condition]:
    """The conditions with a database latency recorded, under the default pool."""
    return [
        c
        for c in summary.conditions
        if c.db_latency_ms is not None and c.db_pool_size in {None, DEFAULT_POOL_SIZE}
    ]


def _latency_groups(summary: Summary) -> list[Group]:
    conditions = _defaults(summary)
    if not any(c.db_latency_ms for c in conditions):
        return []
    scenarios = [s for s in summary.scenarios() if any(c.scenario == s for c in conditions)]
    lead = "demo" if "demo" in scenarios else scenarios[0]
    return [
        _group(summary, f"+{c.db_latency_ms:g} ms", c) for c in conditions if c.scenario == lead
    ]


def fastest(summary: Summary, condition: Condition) -> tuple[Cell, float] | None:
    """The service with the highest median capacity (req/s) under the condition."""
    rated = [(c, m) for c in summary.row(condition) if (m := median(c.absolute))]
    return max(rated, key=lambda kv: kv[1], default=None)


def _moves(summary: Summary, groups: Sequence[Group]) -> list[Move]:
    if not groups:
        return []
    base, worst = groups[0].condition, groups[-1].condition
    moves = []
    for model in summary.models:
        cells = [c for c in summary.row(base) if c.stack == model]
        rated = [(c, m) for c in cells if (m := median(c.absolute))]
        if not rated:
            continue
        cell, at_base = max(rated, key=lambda kv: kv[1])
        there = summary.cell(worst, cell.target)
        if (at_worst := median(there.absolute) if there else None) is not None:
            moves.append(Move(model, cell.target, at_base, at_worst))
    return moves


def _sizing(summary: Summary, groups: Sequence[Group]) -> list[Sizing]:
    workers = summary.label_int("web_concurrency") or 1
    found = []
    for group in groups:
        if not group.latency or (top := fastest(summary, group.condition)) is None:
            continue
        cell, rate = top
        hold = light_hold(summary, group.condition) or group.latency
        per_worker = rate / workers
        found.append(Sizing(group.latency, cell.target, per_worker, hold, per_worker * hold / 1000))
    return found


def _sweeps(summary: Summary) -> list[Sweep]:
    if len({c.db_pool_size for c in summary.conditions if c.db_pool_size is not None}) < 2:
        return []
    sweeps = []
    for latency in sorted({c.db_latency_ms for c in summary.conditions if c.db_latency_ms}):
        conditions = sorted(
            (
                c
                for c in summary.conditions
                if c.db_latency_ms == latency and c.db_pool_size is not None
                if c.scenario == "demo"
            ),
            key=lambda c: c.db_pool_size or 0,
        )
        if len(conditions) < 2:
            continue
        groups = [_group(summary, f"pool {c.db_pool_size}", c) for c in conditions]
        sweeps.append(Sweep(latency, groups, _sweep_lines(summary, conditions)))
    return sweeps


def _sweep_lines(summary: Summary, conditions: Sequence[Condition]) -> list[SweepLine]:
    pools = [c.db_pool_size or 0 for c in conditions]
    lines = []
    for model in summary.models:
        rows = []
        for target in summary.targets:
            figures = [cell.capacity if (cell := summary.cell(c, target)) else None
                       for c in conditions]  # fmt: skip
            if summary.stacks.get(target) == model and any(figures):
                rows.append((target, figures))
        if not rows:
            continue
        target, figures = max(rows, key=lambda row: max(f.median for f in row[1] if f))
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
    for step in found.steps:
        if not step.failures:
            continue
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
