"""From wrk runs to table rows: medians over the rounds, what limited each row, the ratios.

Pure functions of recorded numbers (perf/tests feeds them recorded runs). A row's figures are
medians over its measuring rounds (the warm-up, round 0, is never counted); its failures and
timeouts are sums. What limited a row (``limit``):

- ``target``: the target kept its core busy (``cpu`` at least ``CPU_BOUND``); the row is
  the target's limit;
- ``load``: it did not, and the load side was saturated (wrk's one thread, or the load CPUs,
  which wrk shares with the database): the row is a lower bound on the target;
- ``other``: neither was; something else (a neighbour on the target's core, a pool, the
  database's latency) held it back.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from perf.bench.results import Measurement, Role

CPU_BOUND = 0.9  # a target's CPU, in cores, from which its row is its own limit
LOAD_BOUND = 0.9  # wrk's CPU (its one thread), or the load CPUs' busy share, from which it is


@dataclass(frozen=True)
class Row:
    """One target, path and concurrency over the run."""

    target: str
    kind: str
    path: str
    connections: int
    rounds: int
    requests: int
    rps: float
    rps_min: float
    rps_max: float
    p50_ms: float | None  # None: beyond wrk's timeout
    p99_ms: float | None
    target_cpu: float
    wrk_cpu: float
    load_cpu: float
    cpu_us_per_request: float | None  # the target's CPU time per answer, microseconds
    failures: int  # timeouts included
    timeouts: int
    db_connections_peak: int
    bodies: str  # "ok (N checked)" or "wrong: ..."
    limit: str  # "target", "load" or "other"
    # Set by summarise once every row is known (None: no floor, or no blog app, to compare with).
    ratio_floor: float | None = None  # req/s over the floor of its stack
    ratio_blog: float | None = None  # req/s over the blog's app of its framework (services)
    cpu_ratio_floor: float | None = None  # CPU per request over the floor's
    cpu_ratio_blog: float | None = None  # CPU per request over the blog app's (services)

    @property
    def cpu_bound(self) -> bool:
        return self.limit == "target"


def cores(value: float) -> str:
    """A CPU figure in cores, two decimals, cut rather than rounded (0.897 is not 0.90)."""
    return f"{math.floor(value * 100) / 100:.2f}"


def limit_of(target_cpu: float, wrk_cpu: float, load_cpu: float) -> str:
    """What limited a run (or a row, from its medians): see the module's docstring."""
    if target_cpu >= CPU_BOUND:
        return "target"
    if wrk_cpu >= LOAD_BOUND or load_cpu >= LOAD_BOUND:
        return "load"
    return "other"


def median_or_none(values: Iterable[float | None]) -> float | None:
    """The median, None (beyond the timeout) counting as higher than any number."""
    ordered = [math.inf if value is None else value for value in values]
    median = statistics.median(ordered) if ordered else math.inf
    return None if math.isinf(median) else median


def summarise(roles: Sequence[Role], measurements: Sequence[Measurement]) -> list[Row]:
    """One row per target, path and concurrency measured, in the roles' order, with its ratios
    to the floor of its stack and (a service's) to the blog's app of its framework."""
    groups: dict[tuple[str, str, int], list[Measurement]] = {}
    for m in measurements:
        if m.round > 0:
            groups.setdefault((m.target, m.path, m.connections), []).append(m)
    keys = sorted({(path, c) for _, path, c in groups}, key=lambda k: (k[1], k[0]))
    # A floor's role names no floor, a blog app's no blog app: no ratio for them.
    base: dict[tuple[str | None, str, int], Row] = {
        (role.name, path, c): _row(role, runs)
        for role in roles
        for path, c in keys
        if (runs := groups.get((role.name, path, c)))
    }
    return [
        _with_ratios(row, base.get((role.floor, path, c)), base.get((role.blog, path, c)))
        for role in roles
        for path, c in keys
        if (row := base.get((role.name, path, c)))
    ]


def _row(role: Role, runs: Sequence[Measurement]) -> Row:
    target_cpu = statistics.median(m.target_cpu for m in runs)
    wrk_cpu = statistics.median(m.wrk_cpu for m in runs)
    load_cpu = statistics.median(m.load_cpu for m in runs)
    problems = [m.body_problem for m in runs if m.body_problem]
    unchecked = sum(m.requests - m.checked for m in runs)
    if problems:
        bodies = f"wrong: {problems[0]}"
    elif unchecked:
        bodies = f"wrong: {unchecked} answers unchecked"
    else:
        bodies = f"ok ({sum(m.bodies for m in runs)} checked)"
    per_request = [m.target_cpu / m.rps * 1e6 for m in runs if m.rps]
    return Row(
        target=role.name,
        kind=role.kind,
        path=runs[0].path,
        connections=runs[0].connections,
        rounds=len(runs),
        requests=sum(m.requests for m in runs),
        rps=round(statistics.median(m.rps for m in runs), 1),
        rps_min=min(m.rps for m in runs),
        rps_max=max(m.rps for m in runs),
        p50_ms=_rounded(median_or_none(m.p50_ms for m in runs)),
        p99_ms=_rounded(median_or_none(m.p99_ms for m in runs)),
        target_cpu=round(target_cpu, 3),
        wrk_cpu=round(wrk_cpu, 3),
        load_cpu=round(load_cpu, 3),
        cpu_us_per_request=round(statistics.median(per_request), 1) if per_request else None,
        failures=sum(m.failures for m in runs),
        timeouts=sum(m.timeouts for m in runs),
        db_connections_peak=max(m.db_connections_peak for m in runs),
        bodies=bodies,
        limit=limit_of(target_cpu, wrk_cpu, load_cpu),
    )


def _with_ratios(row: Row, floor: Row | None, blog: Row | None) -> Row:
    return replace(
        row,
        ratio_floor=ratio(row.rps, floor.rps if floor else None),
        ratio_blog=ratio(row.rps, blog.rps if blog else None),
        cpu_ratio_floor=ratio(row.cpu_us_per_request, floor.cpu_us_per_request if floor else None),
        cpu_ratio_blog=ratio(row.cpu_us_per_request, blog.cpu_us_per_request if blog else None),
    )


def ratio(value: float | None, reference: float | None) -> float | None:
    """``value / reference``, or None when either is missing or the reference is zero."""
    if value is None or not reference:
        return None
    return round(value / reference, 3)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def find(rows: Iterable[Row], target: str | None, path: str, connections: int) -> Row | None:
    """The row of ``target`` at ``path`` and ``connections``, if it was measured."""
    for row in rows:
        if (row.target, row.path, row.connections) == (target, path, connections):
            return row
    return None
