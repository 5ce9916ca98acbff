"""The pool rule in ``nox -s bench``: each latency row's pool, fitted to the row's latency by one
rule for all (``RunSettings.fitted_pool``: Little's law at the fastest service's +0 ms ``demo``
knee, a lookup timed at the row's delay, the headroom), or a sweep's size as given; and the
first phase's knees, where the later phases start."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING

from loadtest.settings import DEFAULT_POOL_SIZE

if TYPE_CHECKING:
    from loadtest.results import RunResults
    from loadtest.settings import RunSettings

LEAD = "demo"  # the scenario whose +0 ms knees give the pool rule its rate


@dataclass(frozen=True)
class Phase:
    """One `loadtest run`: scenarios at one database latency and pool size (None: the pool
    rule's, fitted to the latency: ``RunSettings.fitted_pool``; a number: a sweep's)."""

    db_latency_ms: float
    scenarios: tuple[str, ...]
    pool_size: int | None = None


@dataclass(frozen=True)
class Pool:
    """The pool a row's services run with, and how it was chosen."""

    size: int
    lookup_ms: float
    reach_rps: float | None = None  # the rule's rate; None: a sweep's size, or none known yet
    fitted: bool = True

    def labels(self) -> dict[str, str]:
        """What the results record: the size (``db_pool_size``) and the rule's inputs."""
        rule = "fitted" if self.fitted else "swept"
        labels = {"db_pool_size": str(self.size), "db_pool_rule": rule}
        labels["db_lookup_ms"] = f"{self.lookup_ms:g}"
        if self.reach_rps is not None:
            labels["db_pool_reach_rps"] = f"{self.reach_rps:.0f}"
        return labels

    def __str__(self) -> str:
        if not self.fitted:
            return f"pools of {self.size} (swept)"
        reach = "" if self.reach_rps is None else f"{self.reach_rps:,.0f} req/s x "
        return f"pools of {self.size} (the rule: {reach}a {self.lookup_ms:.3g} ms lookup)"


def fit_pool(settings: RunSettings, phase: Phase, knees: dict[str, float], lookup: float) -> Pool:
    """The row's pool: a sweep's size as given; else the rule at the fastest service's
    ``demo`` knee of the first phase (before that phase has run: none known, so the rule's
    lower bound, which a lookup of well under a millisecond at +0 ms needs anyway)."""
    if phase.pool_size is not None:
        return Pool(phase.pool_size, lookup, fitted=False)
    reach = max((rps for key, rps in knees.items() if key.endswith(f"/{LEAD}")), default=None)
    if reach is None:
        return Pool(DEFAULT_POOL_SIZE, lookup)
    return Pool(settings.fitted_pool(reach, lookup), lookup, reach)


def first_knees(run: RunResults) -> dict[str, float]:
    """Each search's median capacity over the rounds, ``TARGET/SCENARIO``: where the later
    phases start, and the pool rule's rate."""
    found: dict[str, list[float]] = {}
    for search in run.searches:
        if search.capacity.rps is not None:
            found.setdefault(f"{search.target}/{search.scenario}", []).append(search.capacity.rps)
    return {key: statistics.median(values) for key, values in found.items()}
