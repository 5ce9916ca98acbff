"""How figures read: numbers with their marks, Markdown tables, the verdict's table and sentences.

Every sentence is made from the same figures as its table row, so the two cannot disagree.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from loadtest.verdict import SATURATION, possessive, why_bound

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from loadtest.summary import Figure
    from loadtest.verdict import Measure, Question, Side

GENERATOR_BOUND = "†"
CONTENDED = "‡"
MARKS = (
    f"{GENERATOR_BOUND} a lower bound: in some round the load generator, not the service, was "
    "the limit (or the search ended before an offered rate failed); for a saturation probe, the "
    "service was not saturated. "
    f"{CONTENDED} contended: other work (processes, or a shared host's hypervisor) took more than "
    "a quarter of a core during a deciding window, besides the service, the watched processes "
    "and the generator; "
    "do not rank on it."
)


def with_block(text: str, begin: str, end: str, block: str) -> str:
    """``text`` with its section from the ``begin`` line to the ``end`` line replaced by
    ``block`` (which holds both marks), or, where it has none, ``block`` under its title."""
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    title, _, rest = text.partition("\n")
    return f"{title}\n\n{block}\n{rest}"


def table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str = "") -> list[str]:
    """A Markdown table; ``align`` has an ``r`` for each right-aligned column (``l`` default)."""
    rule = "".join("|---:" if a == "r" else "|---" for a in align.ljust(len(header), "l"))
    return [f"| {' | '.join(header)} |", f"{rule}|", *(f"| {' | '.join(r)} |" for r in rows)]


def number(measure: Measure, value: float) -> str:
    if measure.name.startswith("req/s"):
        return f"{value:,.0f}"
    if measure.name == "µs":
        return f"{value:,.0f} µs"
    return f"{value:.3g} ms" if value < 100 else f"{value:,.0f} ms"


def figure(measure: Measure, fig: Figure) -> str:
    """The median with its marks: "≥ 2,400†", "12.3 ms‡"."""
    marks = (GENERATOR_BOUND if fig.lower_bound or fig.unsaturated else "") + (
        CONTENDED if fig.contended else ""
    )
    return f"{'≥ ' if fig.lower_bound else ''}{number(measure, fig.median)}{marks}"


def spread(measure: Measure, fig: Figure) -> str:
    """The rounds' range: "1,200-1,350", "40.1-52 ms"."""
    if fig.rounds < 2:
        return "1 round"
    low, high = number(measure, fig.low), number(measure, fig.high)
    unit = f" {measure.name}" if measure.name in {"µs", "ms"} else ""
    return f"{low.removesuffix(unit)}-{high}"


def with_range(measure: Measure, fig: Figure | None) -> str:
    return "" if fig is None else f"{figure(measure, fig)} ({spread(measure, fig)})"


def with_unit(measure: Measure, fig: Figure) -> str:
    text = figure(measure, fig)
    return f"{text} {measure.name}" if measure.name.startswith("req/s") else text


def ratio(question: Question) -> str:
    if question.ratio is None or question.why_unranked:
        return ""
    return f"{'≥ ' if question.at_least else ''}{question.ratio:.2f}"


def verdict_table(rows: Sequence[Question], models: Sequence[str]) -> list[str]:
    """One column per model measured: its best service's figure; then the winner, the ratio
    over the runner-up and whether those two are within noise."""
    header = ["question", *(f"{possessive(m)} best" for m in models), "winner", "ratio", "noise"]
    body = []
    for q in rows:
        cells = [
            f"{with_unit(q.measure, s.figure)} ({s.service})" if (s := q.sides.get(m)) else ""
            for m in models
        ]
        noise = "1 round" if q.rounds < 2 else "within noise" if q.within_noise else ""
        body.append([q.title, *cells, q.winner or "not ranked", ratio(q), noise])
    return table(header, body, "l" * (len(header) - 2) + "r")


def sentence(q: Question, slo: float) -> str:
    """The row as a sentence: who wins, with what, by how much over whom, and the noise."""
    measure = q.measure
    if len(q.ranked) < 2:
        (only,) = q.ranked
        return (
            f"{q.title}: only {only.model} was measured ({only.service}: "
            f"{with_unit(measure, only.figure)}); not ranked: {q.why_unranked}."
        )
    win, lose = q.ranked[:2]
    mine, theirs = with_unit(measure, win.figure), with_unit(measure, lose.figure)
    if q.why_unranked:
        return (
            f"{q.title}: not ranked, since {q.why_unranked} "
            f"({win.service}, {win.model}: {mine}; {lose.service}, {lose.model}: {theirs})."
        )
    if q.rounds < 2:
        noise = "one round only, so the noise is not known"
    elif q.within_noise:
        noise = "the rounds' ranges overlap: within noise"
    else:
        noise = "the rounds' ranges do not overlap"
    lead = f"{q.title}: {win.model} {'is ahead' if q.within_noise else 'wins'}"
    times = ratio(q).replace("≥ ", "at least ")
    if measure.higher_is_better:
        body = (
            f"its best, {win.service}, sustains {mine} at p99 ≤ {slo:g} ms, {times} times "
            f"{possessive(lose.model)} best, {lose.service} ({theirs})"
        )
    else:
        doing = (
            f"keeps p99 at {mine} with every probe user flat out"
            if measure is SATURATION
            else f"spends {mine} of CPU per request at its highest sustained load"
        )
        body = (
            f"its best, {win.service}, {doing}; {possessive(lose.model)} best, {lose.service}, "
            f"{theirs}: {times} times {'higher' if measure is SATURATION else 'more'}"
        )
    text = f"{lead}: {body}{_third(q)}; {noise}."
    marks = []
    if win.figure.lower_bound:
        marks.append(f"{GENERATOR_BOUND} a lower bound: {why_bound(win.figure)}")
    if any(s.figure.contended for s in q.ranked[:2]):
        marks.append(f"{CONTENDED} other processes competed for the machine in some round")
    return text + (" (" + "; ".join(marks) + ".)" if marks else "")


def _third(q: Question) -> str:
    rest: Sequence[Side] = q.ranked[2:]
    return "".join(
        f", then {possessive(s.model)} best, {s.service} ({with_unit(q.measure, s.figure)})"
        for s in rest
    )
