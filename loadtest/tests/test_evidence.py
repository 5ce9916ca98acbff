"""The answers behind each deciding figure: the knee's and the step above's windows, every
round's, pooled; and the report's account of them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from results_docs import FIXTURES, documents, quiet, render

from loadtest.evidence import of_rounds
from loadtest.results import RunResults

if TYPE_CHECKING:
    from pathlib import Path


def test_the_knee_and_the_step_above_are_pooled_over_every_round() -> None:
    run = RunResults.read(FIXTURES[0])
    rounds = [s for s in run.searches if (s.target, s.scenario) == ("django", "demo")]
    assert len(rounds) == 2
    knees = [r.steps[r.capacity.step] for r in rounds if r.capacity.step is not None]
    above = [r.steps[r.capacity.above] for r in rounds if r.capacity.above is not None]
    found = of_rounds(rounds)
    assert found.rounds == 2
    assert found.knee_answers == sum(s.latency_ms.count for s in knees) > 0
    assert found.above_answers == sum(s.latency_ms.count for s in above) > 0
    # One p99 over all the answers: within the rounds' own p99s.
    p99s = [s.latency_ms.p99 for s in knees]
    assert found.knee_p99_ms is not None
    assert min(p99s) * 0.99 <= found.knee_p99_ms <= max(p99s) * 1.01


def test_the_report_says_how_many_answers_decided_each_figure(tmp_path: Path) -> None:
    run = RunResults.read(FIXTURES[0])
    rounds = [s for s in run.searches if (s.target, s.scenario) == ("django", "demo")]
    count = of_rounds(rounds).knee_answers
    text = render(quiet(documents()), tmp_path)
    assert (
        f"- django (gevent), DB lookup at the SLO: {count:,} answers at the knee (short of 10,000)"
        in text
    )
