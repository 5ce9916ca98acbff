"""The verdict: for each question, which stack wins, by how much, and whether that is noise.

Each stack is represented by its best service under the question's measure (the best each
stack has to offer a team choosing it); the ratio is the better figure over the worse. A
difference is "within noise" when the two services' ranges over the rounds overlap. Figures
that are only lower bounds (the load generator was the limit) or saturation figures from an
unsaturated service cannot decide a question they might reverse: the row then says why it is
not ranked. Every sentence is made from the same numbers as its table row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from loadtest.summary import Cell, Condition, Figure, Summary

STACKS = ("gevent", "asyncio")
WHY_BOUND = {
    "generator": "the load generator was the limit",
    "steps": "the search ran out of steps before a rate failed",
    "max-rate": "the search reached its --max-rate",
}
GENERATOR_BOUND = "†"
CONTENDED = "‡"


@dataclass(frozen=True)
class Measure:
    """What a question compares, and which way is better."""

    name: str  # "req/s per core", "ms", "µs"
    higher_is_better: bool
    of: Callable[[Cell], Figure | None]


@dataclass(frozen=True)
class Side:
    stack: str
    service: str
    figure: Figure


@dataclass(frozen=True)
class Question:
    """One verdict row."""

    title: str
    condition: Condition
    measure: Measure
    sides: dict[str, Side]  # the best service of each stack that has one
    winner: str | None
    ratio: float | None  # better / worse, >= 1
    at_least: bool  # the ratio is a lower bound
    within_noise: bool
    why_unranked: str | None
    sentence: str


def capacity_measure(summary: Summary) -> Measure:
    unit = "req/s per core" if summary.per_core else "req/s"
    return Measure(unit, higher_is_better=True, of=lambda cell: cell.capacity)


SATURATION = Measure("ms", higher_is_better=False, of=lambda cell: cell.saturation_p99)
CPU = Measure("µs", higher_is_better=False, of=lambda cell: cell.cpu_us)


def questions(summary: Summary) -> list[Question]:
    """The verdict's rows, in the report's order; questions the run did not measure are left out
    (the report lists them)."""
    capacity = capacity_measure(summary)
    slo = _slo(summary)
    rows: list[tuple[str, Condition, Measure]] = []
    titles = {
        "demo": "DB lookup at the SLO",
        "demo-hit": "DB lookup with rows serialised",
        "idle": "No database (`/idle`)",
    }
    for scenario in summary.scenarios():
        if (base := summary.baseline(scenario)) is not None:
            rows.append((titles.get(scenario, f"`{scenario}`"), base, capacity))
    for condition in summary.conditions:
        latency_only = condition.db_latency_ms and condition.db_pool_size in {None, 10}
        if condition.scenario == "demo" and latency_only:
            title = f"DB lookup at +{condition.db_latency_ms:g} ms per round trip"
            rows.append((title, condition, capacity))
    lead = summary.baseline("demo") or next(
        (summary.baseline(s) for s in summary.scenarios() if summary.baseline(s)), None
    )
    if lead is not None:
        rows.append((f"Tail latency near saturation ({lead.describe()})", lead, SATURATION))
        rows.append((f"CPU per request ({lead.describe()})", lead, CPU))
    return [q for title, c, m in rows if (q := compare(summary, title, c, m, slo)) is not None]


def _slo(summary: Summary) -> float:
    return summary.runs[0].settings.slo_ms if summary.runs else 50.0


def compare(
    summary: Summary, title: str, condition: Condition, measure: Measure, slo: float
) -> Question | None:
    sides: dict[str, Side] = {}
    for cell in summary.row(condition):
        fig = measure.of(cell)
        if fig is None or cell.stack not in STACKS:
            continue
        best = sides.get(cell.stack)
        if best is None or _better(measure, fig.median, best.figure.median):
            sides[cell.stack] = Side(cell.stack, cell.target, fig)
    if not sides:
        return None
    if len(sides) < len(STACKS):
        (only,) = sides.values()
        missing = next(s for s in STACKS if s not in sides)
        return Question(
            title, condition, measure, sides, None, None, False, False,
            f"no {missing} service measured",
            f"{title}: only {only.stack} was measured ({only.service}: "
            f"{_value(measure, only.figure)}); no {missing} service to compare with.",
        )  # fmt: skip
    ordered = sorted(
        sides.values(), key=lambda s: s.figure.median, reverse=measure.higher_is_better
    )
    win, lose = ordered
    ratio = _ratio(measure, win.figure.median, lose.figure.median)
    noise = win.figure.overlaps(lose.figure)
    why = _why_unranked(measure, win, lose)
    at_least = measure.higher_is_better and win.figure.lower_bound and why is None
    question = Question(
        title=title,
        condition=condition,
        measure=measure,
        sides=sides,
        winner=None if why else win.stack,
        ratio=ratio,
        at_least=at_least,
        within_noise=noise,
        why_unranked=why,
        sentence="",
    )
    return _with_sentence(question, win, lose, slo)


def _better(measure: Measure, a: float, b: float) -> bool:
    return a > b if measure.higher_is_better else a < b


def _ratio(measure: Measure, win: float, lose: float) -> float | None:
    better, worse = (win, lose) if measure.higher_is_better else (lose, win)
    return better / worse if worse > 0 else None


def _why_unranked(measure: Measure, win: Side, lose: Side) -> str | None:
    if measure.higher_is_better and lose.figure.lower_bound:
        return (
            f"{lose.stack}'s best ({lose.service}) is a lower bound ({_why_bound(lose.figure)}), "
            "so it may be the higher"
        )
    if win.figure.unsaturated or lose.figure.unsaturated:
        which = win if win.figure.unsaturated else lose
        return (
            f"{which.service}'s probe was generator-bound: the service was not saturated, so "
            "its tail there says nothing about saturation"
        )
    if win.figure.median == lose.figure.median:
        return "the two figures are equal"
    return None


def format_figure(measure: Measure, fig: Figure) -> str:
    """The median with its marks: "≥ 2,400†", "12.3 ms‡"."""
    marks = (GENERATOR_BOUND if fig.lower_bound or fig.unsaturated else "") + (
        CONTENDED if fig.contended else ""
    )
    bound = "≥ " if fig.lower_bound else ""
    return f"{bound}{_number(measure, fig.median)}{marks}"


def format_range(measure: Measure, fig: Figure) -> str:
    if fig.rounds < 2:
        return "1 round"
    low, high = _number(measure, fig.low), _number(measure, fig.high)
    unit = f" {measure.name}" if measure.name in {"µs", "ms"} else ""
    return f"{low.removesuffix(unit)}-{high}"


def _number(measure: Measure, value: float) -> str:
    if measure.name.startswith("req/s"):
        return f"{value:,.0f}"
    if measure.name == "µs":
        return f"{value:,.0f} µs"
    return f"{value:.3g} ms" if value < 100 else f"{value:,.0f} ms"


def _value(measure: Measure, fig: Figure) -> str:
    text = format_figure(measure, fig)
    return f"{text} {measure.name}" if measure.name.startswith("req/s") else text


def format_ratio(question: Question) -> str:
    if question.ratio is None or question.why_unranked:
        return ""
    return f"{'≥ ' if question.at_least else ''}{question.ratio:.2f}"


def _with_sentence(question: Question, win: Side, lose: Side, slo: float) -> Question:
    measure = question.measure
    mine, theirs = _value(measure, win.figure), _value(measure, lose.figure)
    if question.why_unranked:
        sentence = (
            f"{question.title}: not ranked, since {question.why_unranked} "
            f"({win.service}, {win.stack}: {mine}; {lose.service}, {lose.stack}: {theirs})."
        )
        return replace(question, sentence=sentence)
    if min(win.figure.rounds, lose.figure.rounds) < 2:
        noise = "one round only, so the noise is not known"
    elif question.within_noise:
        noise = "the rounds' ranges overlap: within noise"
    else:
        noise = "the rounds' ranges do not overlap"
    lead = f"{question.title}: {win.stack} {'is ahead' if question.within_noise else 'wins'}"
    ratio = format_ratio(question).replace("≥ ", "at least ")
    if measure.higher_is_better:
        body = (
            f"its best, {win.service}, sustains {mine} at p99 ≤ {slo:g} ms, {ratio} times "
            f"{lose.stack}'s best, {lose.service} ({theirs})"
        )
    else:
        doing = (
            f"keeps p99 at {mine} with every probe user flat out"
            if measure is SATURATION
            else f"spends {mine} of CPU per request at its highest sustained load"
        )
        body = (
            f"its best, {win.service}, {doing}; {lose.stack}'s best, {lose.service}, {theirs}: "
            f"{ratio} times {'higher' if measure is SATURATION else 'more'}"
        )
    sentence = f"{lead}: {body}; {noise}."
    marks = []
    if win.figure.lower_bound:
        marks.append(f"{GENERATOR_BOUND} a lower bound: {_why_bound(win.figure)}")
    if win.figure.contended or lose.figure.contended:
        marks.append(f"{CONTENDED} other processes competed for the machine in some round")
    if marks:
        sentence += " (" + "; ".join(marks) + ".)"
    return replace(question, sentence=sentence)


def _why_bound(fig: Figure) -> str:
    return " or ".join(WHY_BOUND.get(limit, limit) for limit in fig.bounded_by) or "unknown"
