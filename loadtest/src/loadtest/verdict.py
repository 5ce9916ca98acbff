"""The verdict: for each question, the best of each concurrency model, the winner, by how much.

Each model (gevent, asyncio, threads) is represented by its best service under the question's
measure (the best it has to offer a team choosing it). The winner is the best of them; the
ratio is its figure over the runner-up model's (the better over the worse); "within noise"
when those two services' ranges over the rounds overlap. Figures that are only lower bounds (the
load generator was the limit) or saturation figures from an unsaturated service cannot decide a
question they might reverse: the question is then not ranked, and says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from loadtest.summary import Cell, Condition, Figure, Summary

TITLES = {
    "demo": "DB lookup at the SLO",
    "demo-hit": "DB lookup with rows serialised",
    "idle": "No database (`/idle`)",
}
WHY_BOUND = {
    "generator": "the load generator was the limit",
    "steps": "the search ran out of steps before a rate failed",
    "max-rate": "the search reached its --max-rate",
}


@dataclass(frozen=True)
class Measure:
    """What a question compares, and which way is better."""

    name: str  # "req/s per core", "req/s", "ms", "µs"
    higher_is_better: bool
    of: Callable[[Cell], Figure | None]


@dataclass(frozen=True)
class Side:
    """A model's best service under one question."""

    model: str
    service: str
    figure: Figure


@dataclass(frozen=True)
class Question:
    """One verdict row."""

    title: str
    condition: Condition
    measure: Measure
    sides: dict[str, Side]  # the best service of each model that has a figure
    ranked: list[Side]  # the sides, best first
    ratio: float | None  # the first over the second, >= 1 (None: fewer than two)
    within_noise: bool  # the first two's ranges overlap
    why_unranked: str | None

    @property
    def winner(self) -> str | None:
        return None if self.why_unranked else self.ranked[0].model

    @property
    def at_least(self) -> bool:
        """The ratio is a lower bound (the winner's capacity is one)."""
        return self.measure.higher_is_better and self.ranked[0].figure.lower_bound

    @property
    def rounds(self) -> int:
        """The fewest rounds behind the two figures compared."""
        return min(s.figure.rounds for s in self.ranked[:2])


def capacity_measure(summary: Summary) -> Measure:
    unit = "req/s per core" if summary.per_core else "req/s"
    return Measure(unit, higher_is_better=True, of=lambda cell: cell.capacity)


SATURATION = Measure("ms", higher_is_better=False, of=lambda cell: cell.saturation_p99)
CPU = Measure("µs", higher_is_better=False, of=lambda cell: cell.cpu_us)


def questions(summary: Summary) -> list[Question]:
    """The verdict's rows, in the report's order; questions the run did not measure are left out
    (the report lists them)."""
    capacity = capacity_measure(summary)
    bases = summary.baselines
    rows = [(TITLES.get(c.scenario, f"`{c.scenario}`"), c, capacity) for c in bases]
    rows += [
        (f"DB lookup at +{c.db_latency_ms:g} ms per round trip", c, capacity)
        for c in summary.conditions
        if c.scenario == "demo" and c.db_latency_ms and c.default_pool
    ]
    if bases:  # the one-off questions ask the first baseline: `demo`'s, where measured
        lead = bases[0]
        rows.append((f"Tail latency near saturation ({lead.describe()})", lead, SATURATION))
        rows.append((f"CPU per request ({lead.describe()})", lead, CPU))
    return [q for title, c, m in rows if (q := compare(summary, title, c, m)) is not None]


def best_sides(summary: Summary, condition: Condition, measure: Measure) -> dict[str, Side]:
    """Each model's best service under the measure (the first of equals), in the models' order."""
    rated = [(c, f) for c in summary.row(condition) if (f := measure.of(c)) is not None]
    rated.sort(key=lambda cf: cf[1].median, reverse=measure.higher_is_better)  # stable
    best: dict[str, Side] = {}
    for cell, fig in rated:
        best.setdefault(cell.stack, Side(cell.stack, cell.target, fig))
    return {m: best[m] for m in summary.models if m in best}


def compare(
    summary: Summary, title: str, condition: Condition, measure: Measure
) -> Question | None:
    sides = best_sides(summary, condition, measure)
    ranked = sorted(sides.values(), key=lambda s: s.figure.median, reverse=measure.higher_is_better)
    if not ranked:
        return None
    ratio: float | None = None
    noise = False
    if len(ranked) > 1:
        first, second = ranked[0].figure, ranked[1].figure
        low, high = sorted((first.median, second.median))  # the better over the worse: >= 1
        ratio = high / low if low > 0 else None
        noise = first.overlaps(second)
    why = _why_unranked(summary, measure, ranked)
    return Question(title, condition, measure, sides, ranked, ratio, noise, why)


def _why_unranked(summary: Summary, measure: Measure, ranked: list[Side]) -> str | None:
    if len(ranked) < 2:
        missing = [m for m in summary.models if m != ranked[0].model]
        return f"no {' or '.join(missing)} service measured" if missing else "one model only"
    win, others = ranked[0], ranked[1:]
    bound = [s for s in others if s.figure.lower_bound]
    if measure.higher_is_better and bound:
        return (
            f"{possessive(bound[0].model)} best ({bound[0].service}) is a lower bound "
            f"({why_bound(bound[0].figure)}), so it may be the higher"
        )
    if unsaturated := [s for s in ranked if s.figure.unsaturated]:
        return (
            f"{unsaturated[0].service}'s probe was generator-bound: the service was not "
            "saturated, so its tail there says nothing about saturation"
        )
    if win.figure.median == others[0].figure.median:
        return "the two figures are equal"
    return None


def why_bound(fig: Figure) -> str:
    return " or ".join(WHY_BOUND.get(limit, limit) for limit in fig.bounded_by) or "unknown"


def possessive(model: str) -> str:
    return f"{model}'" if model.endswith("s") else f"{model}'s"
