"""The search for a capacity: which offered rate to try next, and what the steps taken show.

Pure functions over numbers, no locust: the runner asks ``next_rate`` for each step, and the
report (and its tests) read ``capacity`` from the steps a results file recorded.

A step is *sustained* when its p99 is within the SLO, its errors within their budget and its
achieved rate close enough to the offered one (``judge``). The capacity is the highest
sustained offered rate. The search brackets it (a sustained rate below, a failed one above),
then halves the bracket geometrically until it is within the resolution:

- first round, from the saturation probe's throughput T: a coarse ladder of 0.5, 0.75, 0.9 and
  1.0 x T (the first two also give the latency-against-load charts their low-load points),
  then up by 15 % at a time, each step's increase twice the last's;
- later rounds, from the earlier rounds' capacity K: K, then 5 % at a time either way, growing
  the same way, so a round whose knee moved still brackets it in a few steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

LADDER = (0.5, 0.75, 0.9, 1.0)  # x the probe's throughput, the first round's coarse steps
COARSE_GROWTH = 1.15  # beyond the ladder
LOCAL_GROWTH = 1.05  # later rounds, around the earlier capacity


@dataclass(frozen=True)
class Criteria:
    """What a sustained step is (the run's settings say: ``RunSettings.criteria``)."""

    slo_ms: float
    max_error_rate: float
    min_achieved: float


@dataclass(frozen=True)
class Outcome:
    """One rate step as the search sees it."""

    offered: float
    sustained: bool
    generator_bound: bool = False


def breaks_slo(criteria: Criteria, p99: float) -> bool:
    return p99 > criteria.slo_ms


def judge(
    criteria: Criteria, *, offered: float, achieved: float, requests: int, failures: int, p99: float
) -> list[str]:
    """Why a step was not sustained; an empty list when it was."""
    reasons = []
    if not requests:
        return ["no request completed"]
    if breaks_slo(criteria, p99):
        reasons.append(f"p99 {p99:.3g} ms > {criteria.slo_ms:g} ms")
    if failures > criteria.max_error_rate * requests:
        reasons.append(f"errors {failures / requests:.2%} > {criteria.max_error_rate:.2%}")
    if achieved < criteria.min_achieved * offered:
        reasons.append(
            f"achieved {achieved / offered:.1%} of offered < {criteria.min_achieved:.0%}"
        )
    return reasons


@dataclass(frozen=True)
class Plan:
    """Where a search starts and when it stops."""

    start: float  # the probe's throughput (first round) or the earlier capacity (later rounds)
    first_round: bool
    resolution: float
    max_steps: int
    max_rate: float
    quantum: float  # one paced user's rate: offered rates are whole numbers of users
    # A search not yet bracketed may go on to this many steps: a later round's small budget
    # (``knee_steps``) must not end in a lower bound when the earlier knee was low.
    unbracketed_steps: int = 0


def next_rate(plan: Plan, steps: Sequence[Outcome]) -> float | None:  # noqa: PLR0911
    """The next offered rate to try, or None when the search is done."""
    low, high = bracket(steps)
    bracketed = low is not None and high is not None
    if len(steps) >= (plan.max_steps if bracketed else max(plan.max_steps, plan.unbracketed_steps)):
        return None
    if low is not None and high is not None:
        if high <= low * (1 + plan.resolution):
            return None
        return _within(plan, math.sqrt(low * high), steps)
    if plan.first_round and len(steps) < len(LADDER) and all(s.sustained for s in steps):
        return _within(plan, plan.start * LADDER[len(steps)], steps)
    # Moves no finer than the resolution: a coarser search has nothing to learn from them.
    growth = max(COARSE_GROWTH if plan.first_round else LOCAL_GROWTH, 1 + plan.resolution)
    if not steps:
        return _within(plan, plan.start, steps)
    # Still unbracketed: keep moving the way the steps point, each move twice the last (in log).
    run = _run_length(steps)
    if plan.first_round and high is None:
        run = len(steps) - len(LADDER) + 1  # the moves past the ladder
    factor = growth ** (2 ** (run - 1))
    if high is None:  # every step sustained: go up
        assert low is not None
        return _within(plan, low * factor, steps)
    return _within(plan, high / factor, steps)


def _run_length(steps: Sequence[Outcome]) -> int:
    """How many of the last steps moved the same way (all sustained, or all failed)."""
    last = steps[-1].sustained
    run = 0
    for step in reversed(steps):
        if step.sustained != last:
            break
        run += 1
    return run


def _within(plan: Plan, rate: float, steps: Sequence[Outcome]) -> float | None:
    """``rate`` as whole users within the limits, unless a step already tried it (then the
    search has nothing left to learn: it is at a limit, or the bracket is one user wide)."""
    users = min(max(round(rate / plan.quantum), 1), math.floor(plan.max_rate / plan.quantum))
    rate = users * plan.quantum
    if any(math.isclose(rate, s.offered, rel_tol=1e-6) for s in steps):
        return None
    return rate


def bracket(steps: Sequence[Outcome]) -> tuple[float | None, float | None]:
    """The highest sustained rate, and the lowest failed rate above it (None: not found)."""
    sustained = [s.offered for s in steps if s.sustained]
    low = max(sustained) if sustained else None
    failed = [s.offered for s in steps if not s.sustained and (low is None or s.offered > low)]
    return low, (min(failed) if failed else None)


@dataclass(frozen=True)
class Capacity:
    """What a search found.

    ``limit`` says what stopped it: ``service`` (the failed step above was the service's),
    ``generator`` (that step was generator-bound: ``rps`` is only a lower bound), ``max-rate``
    or ``steps`` (the search ran out of room or of steps before a failure: a lower bound),
    ``none`` (no step was sustained).
    """

    rps: float | None
    lower_bound: bool
    limit: str
    step: int | None  # index in the steps of the sustained step
    above: int | None  # index of the lowest failed step above it


def capacity(steps: Sequence[Outcome], *, max_rate: float, quantum: float = 1.0) -> Capacity:
    """The capacity the steps show (a search's, or any steps at offered rates)."""
    low, high = bracket(steps)
    index = {s.offered: i for i, s in enumerate(steps)}
    if low is None:
        above = index[high] if high is not None else None
        return Capacity(None, False, "none", None, above)
    if high is None:
        top = math.floor(max_rate / quantum) * quantum  # the most whole users offer
        limit = "max-rate" if low >= top * (1 - 1e-6) else "steps"
        return Capacity(low, True, limit, index[low], None)
    limit = "generator" if steps[index[high]].generator_bound else "service"
    return Capacity(low, limit == "generator", limit, index[low], index[high])
