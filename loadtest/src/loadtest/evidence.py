"""The answers behind each deciding figure: how many responses the knee's p99 rests on.

A service's capacity under a question is the median over the rounds of each round's highest
sustained offered rate (``search.capacity``). What decides it are, in every round, two windows:
the sustained step at the knee and the failed step just above it. Their answers are pooled
over the rounds here, with the p99 of each pool (the rounds' histograms merged, so every answer
counts once): a knee whose p99 rests on 2,000 answers is decided by its 20 slowest. The run
aims for ``RunSettings.knee_answers`` (10,000) behind each figure; the report says how many
each had, and which fell short.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from loadtest.latency import Histogram

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loadtest.analysis import Analysis
    from loadtest.results import Search, Step


@dataclass(frozen=True)
class Evidence:
    """A service's answers at its knee and just above it, pooled over its rounds."""

    rounds: int
    knee_answers: int
    knee_p99_ms: float | None
    above_answers: int
    above_p99_ms: float | None


def pooled(steps: Sequence[Step | None]) -> tuple[int, float | None]:
    """The steps' answers and their p99 over all of them (None: no answer)."""
    histogram = Histogram()
    for step in steps:
        if step is not None and step.histogram:
            histogram.add_encoded(step.histogram)
    count = histogram.count
    return count, (histogram.percentile_ms(99.0) if count else None)


def of_rounds(searches: Sequence[Search]) -> Evidence:
    """What decided the capacity of these rounds (one search each)."""
    knees = pooled([r.step(r.capacity.step) for r in searches])
    above = pooled([r.step(r.capacity.above) for r in searches])
    return Evidence(len(searches), *knees, *above)


def lines(a: Analysis) -> list[str]:
    """The report's account, one line per capacity question and model: its best service's
    answers at its knee and just above, pooled over the rounds, against the aim."""
    aim = a.summary.runs[0].settings.knee_answers if a.summary.runs else 0
    out = []
    for question in (q for q in a.questions if q.measure.higher_is_better):
        for side in question.ranked:
            cell = a.summary.cells[question.condition, side.service]
            found = of_rounds([r.search for r in cell.rounds])
            short = f" (short of {aim:,})" if found.knee_answers < aim else ""
            out.append(
                f"- {side.service} ({side.model}), {question.title}: {found.knee_answers:,} "
                f"answers at the knee{short}, p99 {_ms(found.knee_p99_ms)}; "
                f"{found.above_answers:,} just above, p99 {_ms(found.above_p99_ms)}."
            )
    if not out:
        return []
    return [
        "Answers behind each deciding figure: the windows at each round's knee and just above "
        f"it, pooled over the rounds (the aim: {aim:,} at the knee, `--knee-answers`).",
        "",
        *out,
        "",
    ]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g} ms"
