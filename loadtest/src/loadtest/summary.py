"""From results files to the figures the report shows: one cell per condition and service.

A *condition* is a scenario under a run's labels (the database latency the bench added, the
pool size); a *cell* is one service under one condition, over its rounds. Each round gives one
capacity (``search.py``); the cell's figure is the median over the rounds, with their range,
so that "within noise" can be judged where two ranges overlap. Marks travel with the figures:
a cell is a lower bound when any round's capacity was one (generator-bound, out of steps), and
contended when the step that bounded a round's capacity ran while other processes competed
for the machine.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loadtest.settings import DEFAULT_POOL_SIZE

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from loadtest.results import RunResults, Search, Step

# `run --meta stack.NAME=gevent` labels target NAME with its concurrency model.
STACK_PREFIX = "stack."
MODELS = ("gevent", "asyncio", "threads")  # the models compared, in the report's column order
# Cores the machine spent outside the measured processes beyond which a step is suspect: the
# kernel's own share of loopback traffic stays well below it.
CONTENDED_AT = 0.25
SCENARIO_ORDER = ("demo", "demo-hit", "idle")


@dataclass(frozen=True, order=True)
class Condition:
    """A scenario, under what the run's labels say (None: the run did not record it)."""

    scenario: str
    db_latency_ms: float | None = None
    db_pool_size: int | None = None

    @property
    def default_pool(self) -> bool:
        return self.db_pool_size in {None, DEFAULT_POOL_SIZE}

    @property
    def baseline(self) -> bool:
        """No database latency added and the default pool (or neither recorded)."""
        return not self.db_latency_ms and self.default_pool

    def describe(self) -> str:
        parts = [f"`{self.scenario}`"]
        if self.db_latency_ms:
            parts.append(f"+{self.db_latency_ms:g} ms per database round trip")
        if not self.default_pool:
            parts.append(f"pool of {self.db_pool_size}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Round:
    """One search's figures."""

    search: Search
    allowance: float | None
    local: bool  # the target's CPU was read from its processes, on the runner's machine

    @property
    def capacity(self) -> float | None:
        return self.search.capacity.rps

    @property
    def per_core(self) -> float | None:
        """Capacity per core of allowance, or plain req/s without an allowance."""
        if self.capacity is None or not self.allowance:
            return self.capacity
        return self.capacity / self.allowance

    @property
    def lower_bound(self) -> bool:
        return self.search.capacity.lower_bound

    @property
    def sustained(self) -> Step | None:
        return self.search.step(self.search.capacity.step)

    @property
    def limiting(self) -> Step | None:
        return self.search.step(self.search.capacity.above)

    @property
    def contended(self) -> bool:
        return self.local and is_contended(self.limiting or self.sustained)

    @property
    def light_p50(self) -> float | None:
        """p50 (ms) at the lightest sustained offered rate: how long one lookup takes when
        nothing queues, which is longer than it holds a pooled connection (the HTTP exchange
        is in it too)."""
        steps = [s for s in self.search.steps if s.offered_rps is not None and s.sustained]
        lightest = min(steps, key=lambda s: s.offered_rps or 0.0, default=None)
        return None if lightest is None else lightest.latency_ms.p50


def is_contended(step: Step | None) -> bool:
    """Whether processes outside the measurement spent over ``CONTENDED_AT`` cores during the
    step (unknowable without the service's CPU). Meaningful only when the service runs on the
    runner's machine (its CPU read from its processes): callers check that."""
    if step is None or step.service_cpu_s is None:
        return False
    ours = step.service_cpu_s + sum(step.watched_cpu_s.values()) + step.generator_cpu_s
    return step.machine_cpu_cores - ours / step.window_s > CONTENDED_AT


@dataclass(frozen=True)
class Figure:
    """A median over rounds with its range, and the marks that qualify it."""

    median: float
    low: float
    high: float
    rounds: int
    lower_bound: bool = False  # the true figure may be higher
    bounded_by: tuple[str, ...] = ()  # why: the rounds' limits ("generator", "steps", ...)
    contended: bool = False
    unsaturated: bool = False  # a saturation figure whose load generator was the limit

    def overlaps(self, other: Figure) -> bool:
        high = float("inf") if self.lower_bound else self.high
        other_high = float("inf") if other.lower_bound else other.high
        return self.low <= other_high and other.low <= high


def figure(values: Iterable[float | None], **marks: Any) -> Figure | None:
    """The median over the rounds that have a value (``statistics.median``, the one
    definition), with the range and ``marks`` (``Figure``'s keywords after ``rounds``); None
    without values."""
    found = [v for v in values if v is not None]
    if not found:
        return None
    return Figure(statistics.median(found), min(found), max(found), len(found), **marks)


@dataclass
class Cell:
    """One service under one condition, over its rounds."""

    condition: Condition
    target: str
    stack: str
    rounds: list[Round] = field(default_factory=list)

    @property
    def capacity(self) -> Figure | None:
        """Capacity per core (req/s without an allowance)."""
        limits = sorted({r.search.capacity.limit for r in self.rounds if r.lower_bound})
        return figure(
            [r.per_core for r in self.rounds],
            lower_bound=bool(limits),
            bounded_by=tuple(limits),
            contended=any(r.contended for r in self.rounds),
        )

    @property
    def absolute(self) -> Figure | None:
        """Capacity in req/s, whatever the CPU allowance."""
        return figure([r.capacity for r in self.rounds])

    @property
    def light_p50(self) -> Figure | None:
        return figure([r.light_p50 for r in self.rounds])

    @property
    def peaks(self) -> list[Step]:
        """Each round's highest sustained step."""
        return [s for r in self.rounds if (s := r.sustained) is not None]

    def watched(self, name: str) -> Figure | None:
        """Cores a watched process spent at each round's highest sustained step."""
        return figure([s.watched_cpu_s.get(name, 0.0) / s.window_s for s in self.peaks])

    @property
    def cpu_us(self) -> Figure | None:
        """Service CPU per request at each round's highest sustained step."""
        values = [s.cpu_us_per_request for s in self.peaks]
        return figure(values, contended=any(r.contended for r in self.rounds))

    @property
    def saturation_p99(self) -> Figure | None:
        """p99 of the saturation probe (closed loop, flat out)."""
        probes = [(r, p) for r in self.rounds if (p := r.search.probe) is not None and p.requests]
        return figure(
            [p.latency_ms.p99 for _, p in probes],
            contended=any(r.local and is_contended(p) for r, p in probes),
            unsaturated=any(p.generator_bound for _, p in probes),
        )

    @property
    def failures(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for step in (s for r in self.rounds for s in r.search.steps):
            counts.update(step.errors)
        return dict(counts)


@dataclass
class Summary:
    """Every cell of a set of results files, and what they have in common."""

    runs: list[RunResults]
    cells: dict[tuple[Condition, str], Cell]
    stacks: dict[str, str]
    targets: list[str]
    # The pool each row used where the bench fitted it to the row's latency (its rule:
    # ``db_pool_rule=fitted``): such a row is the latency's, whatever its size.
    fitted_pools: dict[Condition, int] = field(default_factory=dict)

    @classmethod
    def of(cls, runs: Sequence[RunResults]) -> Summary:
        stacks = {
            key.removeprefix(STACK_PREFIX): str(value)
            for run in runs
            for key, value in run.environment.items()
            if key.startswith(STACK_PREFIX)
        }
        cells: dict[tuple[Condition, str], Cell] = {}
        fitted: dict[Condition, int] = {}
        for run in runs:
            allowances = {t.name: t.cpu_allowance for t in run.targets}
            local = {t.name for t in run.targets if t.cpu_source == "pids"}
            labels = run.labels
            latency = float(labels["db_latency_ms"]) if "db_latency_ms" in labels else None
            pool = int(labels["db_pool_size"]) if "db_pool_size" in labels else None
            row_pool = labels.get("db_pool_rule") == "fitted"
            for found in run.searches:
                condition = Condition(found.scenario, latency, None if row_pool else pool)
                if row_pool and pool is not None:
                    fitted[condition] = pool
                key = (condition, found.target)
                cell = cells.setdefault(key, Cell(*key, stacks.get(found.target, "other")))
                allowance = allowances.get(found.target)
                cell.rounds.append(Round(found, allowance, local=found.target in local))
        targets = list(dict.fromkeys(found.target for run in runs for found in run.searches))
        return cls(list(runs), cells, stacks, targets, fitted)

    @property
    def conditions(self) -> list[Condition]:
        return sorted({condition for condition, _ in self.cells}, key=_condition_order)

    @property
    def baselines(self) -> list[Condition]:
        """Each scenario's condition with nothing added (the first such, if several)."""
        found: dict[str, Condition] = {}
        for c in self.conditions:
            if c.baseline:
                found.setdefault(c.scenario, c)
        return list(found.values())

    def cell(self, condition: Condition, target: str) -> Cell | None:
        return self.cells.get((condition, target))

    def row(self, condition: Condition) -> list[Cell]:
        return [c for t in self.targets if (c := self.cell(condition, t)) is not None]

    @property
    def per_core(self) -> bool:
        """Whether every measured target had a CPU allowance (else figures are req/s)."""
        return all(run.targets and all(t.cpu_allowance for t in run.targets) for run in self.runs)

    def label_int(self, key: str) -> int | None:
        """The label's value when every run that recorded it agrees."""
        values = {run.labels[key] for run in self.runs if key in run.labels}
        return int(next(iter(values))) if len(values) == 1 else None

    @property
    def models(self) -> list[str]:
        """The concurrency models some measured target runs (the verdict's columns)."""
        return [m for m in MODELS if m in {self.stacks.get(t) for t in self.targets}]

    @property
    def allowance(self) -> float | None:
        """The one CPU allowance every target had, if they shared one."""
        allowances = {t.cpu_allowance for run in self.runs for t in run.targets}
        return next(iter(allowances)) if len(allowances) == 1 else None


def _condition_order(c: Condition) -> tuple[int, str, float, int]:
    order = SCENARIO_ORDER.index(c.scenario) if c.scenario in SCENARIO_ORDER else 99
    pool = DEFAULT_POOL_SIZE if c.db_pool_size is None else c.db_pool_size
    return (order, c.scenario, c.db_latency_ms or 0.0, pool)
