"""The report's database-latency section: capacity as the round trip grows, the pool's ceiling
(which says whether the pool or the model is the limit), the processes beside the service, what
to size a pool for, and the pool sweep. Shared with ``report.py``: the capacity table, the
failed requests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loadtest import charts
from loadtest.analysis import POOL_BOUND_AT, median
from loadtest.markdown import table, with_range

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loadtest.analysis import Analysis, Group, Sweep
    from loadtest.summary import Condition


def cells(a: Analysis, groups: Sequence[Group], *, ceilings: bool) -> list[str]:
    """One row per service, one column per group: the capacity with its rounds' range; the
    pool's ceilings in a last row, if asked."""
    rows = []
    for target in a.summary.targets:
        cells = [a.summary.cell(g.condition, target) for g in groups]
        figs = [with_range(a.measure, c.capacity if c else None) for c in cells]
        rows.append([target, a.summary.stacks.get(target, ""), *figs])
    lines = table(["service", "stack", *(g.label for g in groups)], rows, "ll" + "r" * len(groups))
    if ceilings:
        pools = " | ".join(str(g.pool) if g.pool else "unknown" for g in groups)
        lines.append(f"| pool (connections per worker) | | {pools} |")
        values = " | ".join(f"{g.ceiling:,.0f}" if g.ceiling else "none" for g in groups)
        lines.append(f"| pool ceiling (lookups/s) | | {values} |")
    return [*lines, ""]


def failures(a: Analysis, conditions: Sequence[Condition]) -> list[str]:
    lines = [
        f"- {cell.target}, {condition.describe()}: {count:,} x {message}"
        for condition in conditions
        for cell in a.summary.row(condition)
        for message, count in sorted(cell.failures.items(), key=lambda kv: -kv[1])
    ]
    return ["Failed requests (at any step, sustained or not):", "", *lines, ""] if lines else []


def section(a: Analysis) -> list[str]:
    lines = ["## Database latency", ""]
    if not a.latencies:
        return [
            *lines,
            "Not measured: no results file here recorded an added database latency "
            "(`run --label db_latency_ms=N`; `nox -s bench` adds 0, 1 and 5 ms with the kit's "
            "delaying proxy). A cluster's network between the services and MySQL is whatever "
            "it is: it is not varied there.",
            "",
        ]
    return [
        *lines,
        _database_sentence(a),
        "",
        *cells(a, a.latencies, ceilings=True),
        f"![{charts.database_title(a)}]({charts.DATABASE})",
        "",
        "The pool ceiling is the pool's connections (per worker, times the workers) over the "
        "time a lookup takes at light load (the fastest service's p50 at its lightest "
        "sustained rate, the added round trip included): no more lookups per second get a "
        "connection, whatever the stack. Reaching "
        f"{POOL_BOUND_AT:.0%} of it, a service is limited by its pool.",
        "",
        *_watched(a),
        *_sizing(a),
        *_sweeps(a),
        *failures(a, [c for c in a.summary.conditions if not c.baseline]),
        *(
            line
            for c in a.delayed
            for line in (f"![Latency against load, {c.describe()}]({charts.latency_name(c)})", "")
        ),
    ]


def _database_sentence(a: Analysis) -> str:
    base, worst = a.latencies[0].condition, a.latencies[-1].condition
    changes = [
        f"{side.service} ({side.model}) from {side.figure.median:,.0f} to {fig.median:,.0f} "
        f"req/s ({(fig.median / side.figure.median - 1):+.0%})"
        for side, fig in a.moves
    ]
    limits = [
        f"at +{g.latency:g} ms the pool lets through {g.ceiling:,.0f} lookups/s and the fastest "
        f"service reached {g.share:.0%} of it: "
        f"{'the pool' if g.share >= POOL_BOUND_AT else 'the stack'} is the limit"
        for g in a.latencies
        if g.ceiling
    ]
    reach = (
        " The pool's reach is its connections over a light-load lookup's p50 (which includes "
        "the added round trip and the HTTP exchange, so it errs low): " + "; ".join(limits) + "."
        if limits
        else ""
    )
    moved = "; ".join(changes) if changes else "no stack's best service was measured at both"
    return (
        f"Adding {worst.db_latency_ms:g} ms to every database round trip moves each stack's "
        f"best `{base.scenario}` capacity: {moved}.{reach}"
    )


def _watched(a: Analysis) -> list[str]:
    measured = [c for g in a.latencies for c in a.summary.row(g.condition)]
    names = sorted(
        {n for c in measured for r in c.rounds for s in r.search.steps for n in s.watched_cpu_s}
    )
    if not names:
        return []
    rows = []
    for target in a.summary.targets:
        row = [a.summary.cell(g.condition, target) for g in a.latencies]
        for name in names:
            values = [median(c.watched(name)) if c else None for c in row]
            rows.append([target, name, *("" if v is None else f"{v:.2f}" for v in values)])
    header = ["service", "process", *(g.label for g in a.latencies)]
    return [
        "CPU of the processes beside the service, at each service's highest sustained step "
        "(cores, median over the rounds; they share the load side's cores):",
        "",
        *table(header, rows, "ll" + "r" * len(a.latencies)),
        "",
    ]


def _sizing(a: Analysis) -> list[str]:
    # Every group with a service sustained has a light-load p50 (that service's, at least).
    sized = [g for g in a.latencies if g.latency and g.top and g.hold_ms]
    if not sized:
        return []
    return [
        "What to size for: a worker needs at least its request rate times the time a lookup "
        "holds a connection (the database round trip and the driver's work), plus headroom.",
        "",
        *(
            f"- At +{g.latency:g} ms, the fastest service ({g.fastest}, {g.per_worker:,.0f} req/s "
            f"per worker) keeps up to {g.busy:.1f} connections busy on average (rate x a "
            f"light-load lookup's {g.hold_ms:.3g} ms, Little's law): size the pool for at least "
            f"{g.sized_pool} per worker to leave room for bursts."
            for g in sized
        ),
        "",
    ]


def _sweeps(a: Analysis) -> list[str]:
    if not a.sweeps:
        return [
            "Pool sizes: not swept in these results (`nox -s bench -- --full` measures pools "
            "of 5, 10, 20 and 50 at +1 and +5 ms).",
            "",
        ]
    lines = ["### Pool size", ""]
    for sweep in a.sweeps:
        latency = sweep.groups[0].latency
        lines += [_sweep_sentence(a, sweep), "", f"`demo` at +{latency:g} ms ({a.measure.name}):"]
        lines += ["", *cells(a, sweep.groups, ceilings=True)]
    return lines


def _sweep_sentence(a: Analysis, sweep: Sweep) -> str:
    """Per model, its best service at its best pool size: the capacity at each size, the
    smallest pool within noise of that best, and a fall beyond it, if any."""
    pools = [g.condition.db_pool_size for g in sweep.groups]
    parts = []
    for line in sweep.lines:
        values = ", ".join("-" if f is None else f"{f.median:,.0f}" for f in line.figures)
        part = f"{line.target} ({line.model}) {values}, within noise of its best from "
        part += f"{line.enough} connections"
        if line.fall is not None:
            part += f" but down to {line.fall:,.0f} with {pools[-1]}"
        parts.append(part)
    return (
        f"At +{sweep.groups[0].latency:g} ms, with pools of {', '.join(str(p) for p in pools)} "
        f"connections, `demo` capacity ({a.measure.name}) is: {'; '.join(parts)}. Below those "
        "sizes the pool, not the stack, is the limit."
    )
