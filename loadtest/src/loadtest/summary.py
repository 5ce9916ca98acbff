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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loadtest.settings import DEFAULT_POOL_SIZE

if TYPE_CHECKING:
    from collections.abc import Sequence

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
    def baseline(self) -> bool:
        """No database latency added and the default pool (or neither recorded)."""
        return self.db_latency_ms in {None, 0.0} and self.db_pool_size in {None, DEFAULT_POOL_SIZE}

    def describe(self) -> str:
        parts = [f"`{self.scenario}`"]
        if self.db_latency_ms:
            parts.append(f"+{self.db_latency_ms:g} ms per database round trip")
        if self.db_pool_size is not None and self.db_pool_size != DEFAULT_POOL_SIZE:
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
        if self.capacity is None:
            return None
        return self.capacity / self.allowance if self.allowance else self.capacity

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
        step = self.limiting or self.sustained
        return step is not None and self.local and is_contended(step)

    @property
    def light_p50(self) -> float | None:
        """p50 (ms) at the lightest sustained offered rate: how long one lookup takes when
        nothing queues, which is longer than it holds a pooled connection (the HTTP exchange
        is in it too)."""
        steps = [s for s in self.search.steps if s.offered_rps is not None and s.sustained]
        if not steps:
            return None
        return min(steps, key=lambda s: s.offered_rps or 0.0).latency_ms.p50

    @property
    def cpu_us(self) -> float | None:
        """Service CPU per request at the highest sustained load."""
        step = self.sustained
        return None if step is None else step.cpu_us_per_request


def other_load(step: Step) -> float | None:
    """Cores the machine spent on processes outside the measurement (None when unknowable:
    without the service's CPU). Meaningful only when the service runs on the runner's machine
    (its CPU read from its processes): callers check that."""
    if step.service_cpu_s is None:
        return None
    ours = step.service_cpu_s + sum(step.watched_cpu_s.values()) + step.generator_cpu_s
    return max(step.machine_cpu_cores - ours / step.window_s, 0.0)


def is_contended(step: Step) -> bool:
    other = other_load(step)
    return other is not None and other > CONTENDED_AT


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


def figure(values: Sequence[float], **marks: Any) -> Figure | None:
    """The median over the rounds (``statistics.median``, the one definition), with the range
    and ``marks`` (``Figure``'s keywords after ``rounds``); None without values."""
    if not values:
        return None
    return Figure(statistics.median(values), min(values), max(values), len(values), **marks)


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
        values = [r.per_core for r in self.rounds if r.per_core is not None]
        limits = sorted({r.search.capacity.limit for r in self.rounds if r.lower_bound})
        return figure(
            values,
            lower_bound=bool(limits),
            bounded_by=tuple(limits),
            contended=any(r.contended for r in self.rounds),
        )

    @property
    def absolute(self) -> Figure | None:
        """Capacity in req/s, whatever the CPU allowance."""
        return figure([r.capacity for r in self.rounds if r.capacity is not None])

    @property
    def light_p50(self) -> Figure | None:
        return figure([r.light_p50 for r in self.rounds if r.light_p50 is not None])

    def watched(self, name: str) -> Figure | None:
        """Cores a watched process spent at each round's highest sustained step."""
        steps = [s for r in self.rounds if (s := r.sustained) is not None]
        return figure([s.watched_cpu_s.get(name, 0.0) / s.window_s for s in steps])

    @property
    def cpu_us(self) -> Figure | None:
        values = [r.cpu_us for r in self.rounds if r.cpu_us is not None]
        return figure(values, contended=any(r.contended for r in self.rounds))

    @property
    def saturation_p99(self) -> Figure | None:
        """p99 of the saturation probe (closed loop, flat out)."""
        probes = [(r.search.probe, r.local) for r in self.rounds]
        steps = [(p, local) for p, local in probes if p is not None and p.requests]
        return figure(
            [p.latency_ms.p99 for p, _ in steps],
            contended=any(local and is_contended(p) for p, local in steps),
            unsaturated=any(p.generator_bound for p, _ in steps),
        )

    @property
    def failures(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.rounds:
            for step in r.search.steps:
                for message, count in step.errors.items():
                    counts[message] = counts.get(message, 0) + count
        return counts


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
        targets: list[str] = []
        fitted: dict[Condition, int] = {}
        for run in runs:
            allowances = {t.name: t.cpu_allowance for t in run.targets}
            local = {t.name for t in run.targets if t.cpu_source == "pids"}
            latency = _float(run.labels.get("db_latency_ms"))
            pool = _int(run.labels.get("db_pool_size"))
            row_pool = run.labels.get("db_pool_rule") == "fitted"
            for found in run.searches:
                condition = Condition(found.scenario, latency, None if row_pool else pool)
                if row_pool and pool is not None:
                    fitted[condition] = pool
                key = (condition, found.target)
                cell = cells.setdefault(
                    key, Cell(condition, found.target, stacks.get(found.target, "other"))
                )
                allowance = allowances.get(found.target)
                cell.rounds.append(Round(found, allowance, local=found.target in local))
                if found.target not in targets:
                    targets.append(found.target)
        return cls(list(runs), cells, stacks, targets, fitted)

    @property
    def conditions(self) -> list[Condition]:
        found = {condition for condition, _ in self.cells}
        return sorted(found, key=_condition_order)

    def scenarios(self) -> list[str]:
        seen = {c.scenario for c in self.conditions}
        return [s for s in SCENARIO_ORDER if s in seen] + sorted(seen - set(SCENARIO_ORDER))

    def cell(self, condition: Condition, target: str) -> Cell | None:
        return self.cells.get((condition, target))

    def baseline(self, scenario: str) -> Condition | None:
        """The scenario's condition with nothing added (the first such, if several)."""
        return next((c for c in self.conditions if c.scenario == scenario and c.baseline), None)

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
    return (
        order,
        c.scenario,
        c.db_latency_ms or 0.0,
        DEFAULT_POOL_SIZE if c.db_pool_size is None else c.db_pool_size,
    )


def _float(text: str | None) -> float | None:
    return None if text is None else float(text)


def _int(text: str | None) -> int | None:
    return None if text is None else int(text)
