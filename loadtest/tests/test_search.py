"""The search against model services whose knee is known: it finds it, in few steps, honestly."""

from __future__ import annotations

from typing import Any

import pytest

from loadtest.search import Criteria, Outcome, capacity, judge, next_rate
from loadtest.search import Plan as SearchPlan
from loadtest.settings import RunSettings

QUANTUM = 10.0  # req/s: one paced user
DEFAULTS = RunSettings()


def make_plan(**given: Any) -> SearchPlan:
    """A search plan with the run's default resolution, step budget and ceiling."""
    limits = {"resolution": DEFAULTS.resolution, "max_steps": DEFAULTS.max_steps}
    return SearchPlan(**{**limits, "max_rate": DEFAULTS.max_rate, **given})


def run(
    plan: SearchPlan, knee: float, generator_limit: float = float("inf")
) -> tuple[list[Outcome], float | None, str]:
    """Search a service that sustains exactly up to ``knee`` req/s, driven by a generator that
    cannot drive more than ``generator_limit`` (beyond it, steps fail generator-bound)."""
    steps: list[Outcome] = []
    while (rate := next_rate(plan, steps)) is not None:
        bound = rate > generator_limit
        steps.append(Outcome(rate, sustained=rate <= knee and not bound, generator_bound=bound))
    found = capacity(steps, max_rate=plan.max_rate, quantum=plan.quantum)
    return steps, found.rps, found.limit


@pytest.mark.parametrize("knee_share", [0.05, 0.3, 0.6, 0.82, 0.95, 1.0, 1.4, 3.0])
def test_the_first_round_brackets_the_knee_to_the_resolution(knee_share: float) -> None:
    probe = 2000.0
    knee = probe * knee_share
    plan = make_plan(start=probe, first_round=True, resolution=0.05, quantum=QUANTUM)
    steps, found, limit = run(plan, knee)
    assert limit == "service"
    assert found is not None
    assert found <= knee < found * 1.05 + QUANTUM
    assert len(steps) <= plan.max_steps
    # Every step is a whole number of paced users, and no rate is tried twice.
    assert all(s.offered % QUANTUM == 0 for s in steps)
    assert len({s.offered for s in steps}) == len(steps)


def test_the_first_round_starts_with_the_ladder_for_the_latency_chart() -> None:
    plan = make_plan(start=2000, first_round=True, quantum=QUANTUM)
    steps, _, _ = run(plan, knee=1900)
    assert [s.offered for s in steps[:4]] == [1000, 1500, 1800, 2000]


@pytest.mark.parametrize("drift", [0.8, 0.97, 1.0, 1.04, 1.2])
def test_later_rounds_need_few_steps_near_the_earlier_capacity(drift: float) -> None:
    earlier = 1500.0
    plan = make_plan(start=earlier, first_round=False, resolution=0.05, quantum=QUANTUM)
    steps, found, limit = run(plan, earlier * drift)
    assert limit == "service"
    assert found is not None
    assert found <= earlier * drift < found * 1.05 + QUANTUM
    assert len(steps) <= (3 if 0.95 <= drift <= 1.05 else 7)


def test_a_later_round_from_a_low_knee_goes_on_until_it_brackets() -> None:
    """Three steps from a knee found low (a pause in round 1) would end in a lower bound; the
    search goes on, up to the first round's budget, until a rate fails."""
    plan = make_plan(start=1800, first_round=False, max_steps=3, unbracketed_steps=12,
                     quantum=QUANTUM)  # fmt: skip
    steps, found, limit = run(plan, knee=3100)
    assert limit == "service"
    assert found is not None
    assert found <= 3100 < found * 1.05 + QUANTUM or len(steps) > 3
    assert any(not s.sustained for s in steps)  # bracketed: not a lower bound
    assert not capacity(steps, max_rate=plan.max_rate, quantum=QUANTUM).lower_bound
    # Bracketed within the small budget, it stops there.
    near = make_plan(start=1500, first_round=False, max_steps=3, unbracketed_steps=12,
                     quantum=QUANTUM)  # fmt: skip
    assert len(run(near, knee=1480)[0]) <= 3


def test_a_generator_bound_failure_makes_the_capacity_a_lower_bound() -> None:
    plan = make_plan(start=2000, first_round=True, quantum=QUANTUM)
    steps, found, limit = run(plan, knee=5000, generator_limit=2400)
    assert limit == "generator"
    assert found is not None
    assert found <= 2400
    assert capacity(steps, max_rate=plan.max_rate, quantum=QUANTUM).lower_bound


def test_out_of_room_or_of_steps_is_a_lower_bound_too() -> None:
    roomless = make_plan(start=2000, first_round=True, max_rate=2200, quantum=QUANTUM)
    _, found, limit = run(roomless, knee=10_000)
    assert (found, limit) == (2200, "max-rate")
    few = make_plan(start=2000, first_round=True, max_steps=3, quantum=QUANTUM)
    steps, found, limit = run(few, knee=10_000)
    assert len(steps) == 3
    assert (found, limit) == (1800, "steps")
    assert capacity(steps, max_rate=few.max_rate, quantum=QUANTUM).lower_bound


def test_nothing_sustained_is_said_so() -> None:
    plan = make_plan(start=2000, first_round=True, quantum=QUANTUM)
    steps, found, limit = run(plan, knee=0)
    assert (found, limit) == (None, "none")
    assert steps[-1].offered == QUANTUM  # down to a single user before giving up
    assert capacity([], max_rate=1e5).limit == "none"


def test_capacity_indexes_its_steps() -> None:
    steps = [Outcome(500, True), Outcome(1000, False), Outcome(750, True), Outcome(870, False)]
    found = capacity(steps, max_rate=1e5)
    assert (found.rps, found.step, found.above, found.lower_bound) == (750, 2, 3, False)


def test_judge_names_every_reason() -> None:
    criteria = Criteria(slo_ms=50, max_error_rate=0.001, min_achieved=0.98)

    def reasons(
        *, achieved: float = 99.0, requests: int = 10_000, failures: int = 10, p99: float = 50.0
    ) -> list[str]:
        return judge(
            criteria,
            offered=100.0,
            achieved=achieved,
            requests=requests,
            failures=failures,
            p99=p99,
        )

    assert reasons() == []
    assert reasons(p99=50.1) == ["p99 50.1 ms > 50 ms"]
    assert reasons(failures=11) == ["errors 0.11% > 0.10%"]
    assert reasons(achieved=97.9) == ["achieved 97.9% of offered < 98%"]
    assert len(reasons(p99=90, failures=500, achieved=50)) == 3
    assert reasons(requests=0) == ["no request completed"]
