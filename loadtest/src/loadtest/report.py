"""``python -m loadtest report``: the verdict first, then one section per question, with charts.

Sections: the verdict (``verdict.py``), capacity per core, latency against load, database
latency, CPU per request, then every search's steps, what the results did not measure, the
method and the environment. Each section opens with a sentence made from its own figures
(``summary.py``), never written by hand, so report and results cannot disagree. ``--readme``
regenerates a marked block in another Markdown file (the repository's README) with the verdict
table and the latency-against-load chart, linking the whole report.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from loadtest import charts
from loadtest.results import RATE, RunResults
from loadtest.summary import DEFAULT_POOL_SIZE, Cell, Condition, Summary, is_contended
from loadtest.verdict import (
    CONTENDED,
    CPU,
    GENERATOR_BOUND,
    STACKS,
    Measure,
    Question,
    capacity_measure,
    format_figure,
    format_range,
    format_ratio,
    questions,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from loadtest.summary import Figure

REPORT_NAME = "report.md"
BEGIN = "<!-- answer:begin -->"
END = "<!-- answer:end -->"
TARGET_RATE = 10_000  # req/s a cluster is priced for
POOL_BOUND_AT = 0.8  # of the pool's ceiling: from here the pool, not the stack, is the limit
DESCRIPTIONS = {
    "demo": "`GET /demo`: the server draws a random name (the blog's test); almost never a hit",
    "demo-hit": "`GET /demo?name=X`: X is a seeded name, so rows are read and serialised",
    "idle": "`GET /idle`: no database access (the blog's idle test)",
}
MARKS = (
    f"{GENERATOR_BOUND} a lower bound: in some round the load generator, not the service, was "
    "the limit (or the search ended before an offered rate failed); for a saturation probe, the "
    "service was not saturated. "
    f"{CONTENDED} contended: other processes on the machine used more than a quarter of a core "
    "during a deciding window, besides the service, the watched processes and the generator; "
    "do not rank on it."
)


@dataclass(frozen=True)
class Report:
    """What the Markdown and the README block are made of."""

    summary: Summary
    questions: list[Question]
    slo: float
    made_by: str


def write_report(paths: Sequence[Path], out: Path) -> Path:
    """Render ``report.md`` and its charts into ``out``; return the Markdown file's path."""
    runs = [RunResults.read(path) for path in paths]
    out.mkdir(parents=True, exist_ok=True)
    summary = Summary.of(runs)
    report = Report(summary, questions(summary), runs[0].settings.slo_ms, _made_by(runs))
    lines = [
        f"# gevent or asyncio: capacity at p99 ≤ {report.slo:g} ms",
        "",
        report.made_by
        + " From "
        + ", ".join(f"`{path.name}`" for path in paths)
        + "; every figure below comes from these files.",
        "",
        *_verdict(report),
        *_capacity(report, out),
        *_latency(report, out),
        *_database(report, out),
        *_cpu(report, out),
        *_searches(report),
        *_unmeasured(report),
        *_method(runs),
        *_environment(runs),
    ]
    path = out / REPORT_NAME
    path.write_text("\n".join(lines) + "\n")
    return path


def _made_by(runs: Sequence[RunResults]) -> str:
    env = runs[0].environment
    command = env.get("command", "python -m loadtest run")
    machine = f"{env.get('cpu_model', 'an unknown CPU')}, {env.get('cpus_logical', '?')} cores"
    if "service_cpus" in env:
        machine += (
            f"; the services on CPU {env['service_cpus']}, the load generator on CPU "
            + ",".join(str(c) for c in env.get("generator_affinity", []))
        )
    elif env.get("workers"):
        machine += f"; {env['workers']} locust workers"
    start = min(r.started_at for r in runs)
    end = max(r.finished_at for r in runs)
    return f"Made by `{command}` from {start} to {end} on {machine}."


# The verdict -----------------------------------------------------------------------------


def _verdict(report: Report) -> list[str]:
    lines = ["## Verdict", ""]
    if not report.questions:
        return [
            *lines,
            "No question could be answered: no stack-labelled service was measured.",
            "",
        ]
    lines += verdict_table(report.questions)
    lines += ["", *(f"- {q.sentence}" for q in report.questions), "", MARKS, ""]
    return lines


def verdict_table(rows: Sequence[Question]) -> list[str]:
    lines = [
        "| question | gevent's best | asyncio's best | winner | ratio | noise |",
        "|---|---|---|---|---:|---|",
    ]
    for q in rows:
        cells = []
        for stack in ("gevent", "asyncio"):
            side = q.sides.get(stack)
            cells.append(
                "" if side is None else f"{_with_unit(q.measure, side.figure)} ({side.service})"
            )
        winner = q.winner or "not ranked"
        rounds = min((s.figure.rounds for s in q.sides.values()), default=0)
        noise = "1 round" if rounds < 2 else ("within noise" if q.within_noise else "")
        lines.append(
            f"| {q.title} | {cells[0]} | {cells[1]} | {winner} | {format_ratio(q)} | {noise} |"
        )
    return lines


def _with_unit(measure: Measure, fig: Figure) -> str:
    text = format_figure(measure, fig)
    return f"{text} {measure.name}" if measure.name.startswith("req/s") else text


# Capacity per core ------------------------------------------------------------------------


def _capacity(report: Report, out: Path) -> list[str]:
    summary = report.summary
    measure = capacity_measure(summary)
    groups = [(s, c) for s in summary.scenarios() if (c := summary.baseline(s)) is not None]
    lines = ["## Capacity per core" if summary.per_core else "## Capacity", ""]
    if not groups:
        return [*lines, "No baseline condition was measured.", ""]
    lines += [_capacity_sentence(report, groups), ""]
    lines += _capacity_block(
        summary,
        groups,
        title=f"Capacity at p99 ≤ {report.slo:g} ms ({measure.name}; higher is better)",
        chart=out / "capacity.png",
    )
    lines += [
        "Each figure is the median over the rounds of the highest offered rate sustained for a "
        f"whole window with p99 ≤ {report.slo:g} ms, errors ≤ "
        f"{summary.runs[0].settings.max_error_rate:.1%} and the offered rate achieved, divided "
        "by the service's CPU allowance; the rounds' range in brackets.",
        "",
    ]
    lines += _failures(summary, [c for _, c in groups])
    return lines


def _capacity_block(
    summary: Summary,
    groups: Sequence[tuple[str, Condition]],
    *,
    title: str,
    chart: Path | None,
    ceilings: Sequence[float | None] = (),
) -> list[str]:
    """A capacity table (with the pool's ceilings, if given) and its bar chart (if named)."""
    measure = capacity_measure(summary)
    lines = _cell_table(summary, measure, groups, lambda cell: cell.capacity)
    if ceilings:
        cells = " | ".join(f"{c:,.0f}" if c else "none" for c in ceilings)
        lines.append(f"| pool ceiling (lookups/s) | | {cells} |")
    if chart is None:
        return [*lines, ""]
    charts.grouped_bars(
        summary,
        groups,
        lambda cell: cell.capacity,
        title=title,
        ylabel=measure.name,
        path=chart,
        ceilings=[_per_core(summary, c) for c in ceilings],
    )
    return [*lines, "", f"![{title}]({chart.name})", ""]


def _capacity_sentence(report: Report, groups: list[tuple[str, Condition]]) -> str:
    rows = [
        q
        for q in report.questions
        if q.measure.higher_is_better and q.condition in {c for _, c in groups}
    ]
    ranked = [q for q in rows if q.winner]
    if not ranked:
        return "No scenario could be ranked: see the verdict for why."
    counts: dict[str, list[str]] = {}
    for q in ranked:
        counts.setdefault(q.winner or "", []).append(
            f"`{q.condition.scenario}` {format_ratio(q)}x"
            + (" within noise" if q.within_noise else "")
        )
    parts = [
        f"{stack}'s best service sustains the most in {len(items)} of {len(rows)} scenarios "
        f"({', '.join(items)})"
        for stack, items in sorted(counts.items(), key=lambda kv: -len(kv[1]))
    ]
    unranked = len(rows) - len(ranked)
    tail = f"; {unranked} not ranked" if unranked else ""
    return f"At p99 ≤ {report.slo:g} ms, " + "; ".join(parts) + tail + "."


def _cell_table(
    summary: Summary,
    measure: Measure,
    groups: Sequence[tuple[str, Condition]],
    of: Callable[[Cell], Figure | None],
) -> list[str]:
    lines = [
        "| service | stack | " + " | ".join(label for label, _ in groups) + " |",
        "|---|---" + "|---:" * len(groups) + "|",
    ]
    for target in summary.targets:
        cells = []
        for _, condition in groups:
            cell = summary.cell(condition, target)
            fig = of(cell) if cell else None
            cells.append(
                ""
                if fig is None
                else f"{format_figure(measure, fig)} ({format_range(measure, fig)})"
            )
        stack = summary.stacks.get(target, "")
        lines.append(f"| {target} | {stack} | " + " | ".join(cells) + " |")
    return lines


def _failures(summary: Summary, conditions: Sequence[Condition]) -> list[str]:
    lines = []
    for condition in conditions:
        for cell in summary.row(condition):
            for message, count in sorted(cell.failures.items(), key=lambda kv: -kv[1]):
                lines.append(f"- {cell.target}, {condition.describe()}: {count:,} x {message}")
    if not lines:
        return []
    return ["Failed requests (at any step, sustained or not):", "", *lines, ""]


# Latency against load ---------------------------------------------------------------------


def _latency(report: Report, out: Path) -> list[str]:
    summary = report.summary
    lines = ["## Latency against load", ""]
    groups = [(s, c) for s in summary.scenarios() if (c := summary.baseline(s)) is not None]
    if not groups:
        return [*lines, "No baseline condition was measured.", ""]
    lines += [_latency_sentence(report, groups[0][1]), ""]
    for scenario, condition in groups:
        name = f"latency-{scenario}.png"
        charts.latency_against_load(summary, condition, report.slo, out / name)
        lines += [f"### `{scenario}`", "", DESCRIPTIONS.get(scenario, scenario) + ".", ""]
        lines += [f"![Latency against load, {scenario}]({name})", ""]
        lines += _knee_table(report, condition)
    return lines


def _latency_sentence(report: Report, condition: Condition) -> str:
    knees = []
    for cell in report.summary.row(condition):
        values = [r.capacity for r in cell.rounds if r.capacity is not None]
        if values:
            knees.append((sorted(values)[len(values) // 2], cell))
    if len(knees) < 2:
        return f"One service at most sustained a rate on `{condition.scenario}`."
    knees.sort(key=lambda kv: kv[0])
    (low, first), (high, last) = knees[0], knees[-1]
    return (
        f"On `{condition.scenario}`, p99 crosses the {report.slo:g} ms SLO first for "
        f"{first.target} ({first.stack}), beyond {low:,.0f} req/s offered, and last for "
        f"{last.target} ({last.stack}), beyond {high:,.0f} req/s (medians of the rounds' "
        "highest sustained rates)."
    )


def _knee_table(report: Report, condition: Condition) -> list[str]:
    lines = [
        "| service | capacity (req/s) | p50 / p99 there (ms) | p99 one step above (ms) "
        "| saturation probe: req/s, p99 (ms) |",
        "|---|---:|---:|---:|---:|",
    ]
    for cell in report.summary.row(condition):
        at, above, probe = [], [], []
        for r in cell.rounds:
            if (s := r.sustained) is not None:
                at.append(f"{s.latency_ms.p50:.3g} / {s.latency_ms.p99:.3g}")
            if (s := r.limiting) is not None:
                above.append(f"{s.latency_ms.p99:.3g}")
            if (p := r.search.probe) is not None:
                mark = GENERATOR_BOUND if p.generator_bound else ""
                probe.append(f"{p.achieved_rps:,.0f}, {p.latency_ms.p99:.3g}{mark}")
        capacities = [
            f"{r.capacity:,.0f}{'†' if r.lower_bound else ''}" if r.capacity else "none"
            for r in cell.rounds
        ]
        lines.append(
            f"| {cell.target} | {'; '.join(capacities)} | {'; '.join(at)} | {'; '.join(above)} "
            f"| {'; '.join(probe)} |"
        )
    return [*lines, "", "One value per round, in round order.", ""]


# Database latency -------------------------------------------------------------------------


def _database(report: Report, out: Path) -> list[str]:
    summary = report.summary
    measure = capacity_measure(summary)
    lines = ["## Database latency", ""]
    latencies = [
        c
        for c in summary.conditions
        if c.db_latency_ms is not None and c.db_pool_size in {None, DEFAULT_POOL_SIZE}
    ]
    scenarios = [s for s in summary.scenarios() if any(c.scenario == s for c in latencies)]
    if not any(c.db_latency_ms for c in latencies):
        return [
            *lines,
            "Not measured: no results file here recorded an added database latency "
            "(`run --label db_latency_ms=N`; `nox -s bench` adds 0, 1 and 5 ms with the kit's "
            "delaying proxy). A cluster's network between the services and MySQL is whatever "
            "it is: it is not varied there.",
            "",
        ]
    lead = "demo" if "demo" in scenarios else scenarios[0]
    groups = [(f"+{c.db_latency_ms:g} ms", c) for c in latencies if c.scenario == lead]
    ceilings = [_ceiling(summary, c) for _, c in groups]
    lines += [_database_sentence(report, groups, ceilings), ""]
    lines += _capacity_block(
        summary,
        groups,
        title=f"{lead}: capacity by added database latency ({measure.name})",
        chart=out / "database-latency.png",
        ceilings=ceilings,
    )
    lines += [
        "The pool ceiling is the pool's connections (per worker, times the workers) over the "
        "time a lookup takes at light load (the fastest service's p50 at its lightest "
        "sustained rate, the added round trip included): no more lookups per second get a "
        "connection, whatever the stack. Reaching "
        f"{POOL_BOUND_AT:.0%} of it, a service is limited by its pool.",
        "",
        *_proxy_table(summary, groups),
        *_sizing(report, groups),
        *_pool_sweep(report),
        *_failures(summary, [c for c in summary.conditions if not c.baseline]),
    ]
    for condition in latencies:
        if condition.db_latency_ms:
            name = f"latency-{condition.scenario}-{condition.db_latency_ms:g}ms.png"
            charts.latency_against_load(summary, condition, report.slo, out / name)
            lines += [f"![Latency against load, {condition.describe()}]({name})", ""]
    return lines


def _ceiling(summary: Summary, condition: Condition) -> float | None:
    """The most lookups per second the pool lets through under this condition: its
    connections over the time one lookup takes at light load (None: unknown).

    The time is the lowest, over the services, of the median over the rounds of the p50 at the
    lightest sustained rate: an upper bound on how long a lookup holds its connection (the
    HTTP exchange is in it), so the ceiling errs low, never high.
    """
    pool = condition.db_pool_size or _label_int(summary, "db_pool_size")
    workers = _label_int(summary, "web_concurrency") or 1
    hold = _light_p50(summary, condition)
    if pool is None or not hold:
        return None
    return pool * workers * 1000 / hold


def _light_p50(summary: Summary, condition: Condition) -> float | None:
    medians = []
    for cell in summary.row(condition):
        values = sorted(v for r in cell.rounds if (v := r.light_p50) is not None)
        if values:
            medians.append(values[len(values) // 2])
    return min(medians, default=None)


def _per_core(summary: Summary, value: float | None) -> float | None:
    if value is None or not summary.per_core:
        return value
    allowances = {t.cpu_allowance for run in summary.runs for t in run.targets}
    allowance = next(iter(allowances)) if len(allowances) == 1 else None
    return value / allowance if allowance else None


def _label_int(summary: Summary, key: str) -> int | None:
    values = summary.label_values(key)
    return int(next(iter(values))) if len(values) == 1 else None


def _absolute(cell: Cell) -> float | None:
    values = [r.capacity for r in cell.rounds if r.capacity is not None]
    return sorted(values)[len(values) // 2] if values else None


def _database_sentence(
    report: Report, groups: list[tuple[str, Condition]], ceilings: list[float | None]
) -> str:
    summary = report.summary
    worst = groups[-1][1]
    base = groups[0][1]
    changes = []
    for stack in ("gevent", "asyncio"):
        best = _best(summary, base, stack)
        if best is None:
            continue
        at_base = _absolute(best)
        worst_cell = summary.cell(worst, best.target)
        at_worst = _absolute(worst_cell) if worst_cell else None
        if at_base and at_worst:
            changes.append(
                f"{best.target} ({stack}) from {at_base:,.0f} to {at_worst:,.0f} req/s "
                f"({(at_worst / at_base - 1):+.0%})"
            )
    limits = []
    for (_, condition), ceiling in zip(groups, ceilings, strict=True):
        if not ceiling:
            continue
        top = max((_absolute(c) or 0.0 for c in summary.row(condition)), default=0.0)
        share = top / ceiling
        who = "the pool" if share >= POOL_BOUND_AT else "the stack"
        limits.append(
            f"at +{condition.db_latency_ms or 0:g} ms the pool lets through {ceiling:,.0f} "
            f"lookups/s and the fastest service reached {share:.0%} of it: {who} is the limit"
        )
    limit = (
        " The pool's reach is its connections over a light-load lookup's p50 (which includes "
        "the added round trip and the HTTP exchange, so it errs low): " + "; ".join(limits)
        if limits
        else ""
    )
    moved = "; ".join(changes) if changes else "no stack's best service was measured at both"
    return (
        f"Adding {worst.db_latency_ms:g} ms to every database round trip moves each stack's "
        f"best `{base.scenario}` capacity: {moved}.{limit}{'.' if limits else ''}"
    )


def _best(summary: Summary, condition: Condition, stack: str) -> Cell | None:
    cells = [c for c in summary.row(condition) if c.stack == stack and _absolute(c)]
    return max(cells, key=lambda c: _absolute(c) or 0.0, default=None)


def _proxy_table(summary: Summary, groups: Sequence[tuple[str, Condition]]) -> list[str]:
    names = sorted(
        {
            name
            for _, c in groups
            for cell in summary.row(c)
            for r in cell.rounds
            for s in r.search.steps
            for name in s.watched_cpu_s
        }
    )
    if not names:
        return []
    lines = [
        "CPU of the processes beside the service, at each service's highest sustained step "
        "(cores, median over the rounds; they share the load side's cores):",
        "",
        "| service | process | " + " | ".join(label for label, _ in groups) + " |",
        "|---|---" + "|---:" * len(groups) + "|",
    ]
    for target in summary.targets:
        for name in names:
            cells = []
            for _, condition in groups:
                cell = summary.cell(condition, target)
                values = [
                    s.watched_cpu_s.get(name, 0.0) / s.window_s
                    for r in (cell.rounds if cell else [])
                    if (s := r.sustained) is not None
                ]
                cells.append(f"{sorted(values)[len(values) // 2]:.2f}" if values else "")
            lines.append(f"| {target} | {name} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _sizing(report: Report, groups: Sequence[tuple[str, Condition]]) -> list[str]:
    summary = report.summary
    workers = _label_int(summary, "web_concurrency") or 1
    lines = []
    for _, condition in groups:
        if not condition.db_latency_ms:
            continue
        cells = [(c, _absolute(c)) for c in summary.row(condition)]
        rated = [(c, v) for c, v in cells if v]
        if not rated:
            continue
        cell, rate = max(rated, key=lambda kv: kv[1] or 0.0)
        assert rate is not None
        hold = _light_p50(summary, condition) or condition.db_latency_ms
        busy = rate / workers * hold / 1000
        lines.append(
            f"- At +{condition.db_latency_ms:g} ms, the fastest service ({cell.target}, "
            f"{rate / workers:,.0f} req/s per worker) keeps up to {busy:.1f} connections busy "
            f"on average (rate x a light-load lookup's {hold:.3g} ms, Little's law): size the "
            f"pool for at least {math.ceil(busy * 1.5)} per worker to leave room for bursts."
        )
    if not lines:
        return []
    return [
        "What to size for: a worker needs at least its request rate times the time a lookup "
        "holds a connection (the database round trip and the driver's work), plus headroom.",
        "",
        *lines,
        "",
    ]


def _pool_sweep(report: Report) -> list[str]:
    summary = report.summary
    swept = sorted({c.db_pool_size for c in summary.conditions if c.db_pool_size is not None})
    if len(swept) < 2:
        return [
            "Pool sizes: not swept in these results (`nox -s bench -- --full` measures pools "
            "of 5, 10, 20 and 50 at +1 and +5 ms).",
            "",
        ]
    measure = capacity_measure(summary)
    lines = ["### Pool size", ""]
    for latency in sorted({c.db_latency_ms for c in summary.conditions if c.db_latency_ms}):
        groups = [
            (f"pool {c.db_pool_size}", c)
            for c in summary.conditions
            if c.db_latency_ms == latency and c.db_pool_size is not None and c.scenario == "demo"
        ]
        if len(groups) < 2:
            continue
        groups.sort(key=lambda g: g[1].db_pool_size or 0)
        title = f"`demo` at +{latency:g} ms ({measure.name})"
        ceilings = [_ceiling(summary, c) for _, c in groups]
        lines += [_sweep_sentence(summary, latency, [c for _, c in groups]), ""]
        lines += [f"{title}:", ""]
        lines += _capacity_block(summary, groups, title=title, chart=None, ceilings=ceilings)
    return lines


def _sweep_sentence(summary: Summary, latency: float, conditions: list[Condition]) -> str:
    """Per stack, its best service at its best pool size: the capacity at each size, the
    smallest pool within noise of that best, and a fall beyond it, if any."""
    pools = [c.db_pool_size for c in conditions]
    parts = []
    for stack in STACKS:
        rows = []
        for target in summary.targets:
            figures = [
                cell.capacity if (cell := summary.cell(c, target)) else None for c in conditions
            ]
            if summary.stacks.get(target) == stack and any(figures):
                rows.append((target, figures))
        if not rows:
            continue
        target, figures = max(rows, key=lambda row: max(f.median for f in row[1] if f))
        best = max((f for f in figures if f), key=lambda f: f.median)
        enough = next(
            pool
            for pool, fig in zip(pools, figures, strict=True)
            if fig is not None and fig.overlaps(best)
        )
        values = ", ".join("-" if f is None else f"{f.median:,.0f}" for f in figures)
        part = f"{target} ({stack}) {values}, within noise of its best from {enough} connections"
        largest = figures[-1]
        if largest is not None and not largest.overlaps(best):
            part += f" but down to {largest.median:,.0f} with {pools[-1]}"
        parts.append(part)
    sizes = ", ".join(str(p) for p in pools)
    unit = capacity_measure(summary).name
    return (
        f"At +{latency:g} ms, with pools of {sizes} connections, `demo` capacity ({unit}) "
        f"is: {'; '.join(parts)}. Below those sizes the pool, not the stack, is the limit."
    )


# CPU per request --------------------------------------------------------------------------


def _cpu(report: Report, out: Path) -> list[str]:
    summary = report.summary
    lines = ["## CPU per request", ""]
    groups = [(s, c) for s in summary.scenarios() if (c := summary.baseline(s)) is not None]
    measured = any(cell.cpu_us is not None for _, c in groups for cell in summary.row(c))
    if not measured:
        return [
            *lines,
            "Not measured: no target's CPU was known (`run --pid` for a local process, "
            "`--cpu-from k8s:...` for pods).",
            "",
        ]
    lines += [_cpu_sentence(summary, groups[0][1]), ""]
    lines += [
        "Service CPU time per request at each service's highest sustained load (µs, median "
        "over the rounds, with their range), and what that prices: the cores 10,000 req/s "
        "need for the CPU alone, and at the SLO (10,000 over the capacity per core).",
        "",
        "| service | stack | scenario | CPU per request | cores for 10,000 req/s: CPU alone "
        "| at the SLO |",
        "|---|---|---|---:|---:|---:|",
    ]
    for _, condition in groups:
        for cell in summary.row(condition):
            fig = cell.cpu_us
            capacity = cell.capacity
            at_slo = ""
            if capacity is not None and summary.per_core:
                at_slo = (
                    f"{'≤ ' if capacity.lower_bound else ''}{TARGET_RATE / capacity.median:.1f}"
                )
            cpu = "" if fig is None else f"{format_figure(CPU, fig)} ({format_range(CPU, fig)})"
            alone = "" if fig is None else f"{TARGET_RATE * fig.median / 1e6:.1f}"
            lines.append(
                f"| {cell.target} | {cell.stack} | `{condition.scenario}` | {cpu} | {alone} "
                f"| {at_slo} |"
            )
    charts.grouped_bars(
        summary,
        groups,
        lambda cell: cell.cpu_us,
        title="Service CPU per request at the highest sustained load (µs; lower is better)",
        ylabel="µs of CPU per request",
        path=out / "cpu-per-request.png",
    )
    return [*lines, "", "![CPU per request](cpu-per-request.png)", ""]


def _cpu_sentence(summary: Summary, condition: Condition) -> str:
    rated = [(c, f) for c in summary.row(condition) if (f := c.cpu_us) is not None]
    if not rated:
        return f"No CPU figure on `{condition.scenario}`."
    rated.sort(key=lambda kv: kv[1].median)
    (low, lf), (high, hf) = rated[0], rated[-1]
    return (
        f"At its highest sustained load on `{condition.scenario}`, {low.target} ({low.stack}) "
        f"spends the least service CPU per request, {lf.median:,.0f} µs "
        f"({TARGET_RATE * lf.median / 1e6:.1f} cores for 10,000 req/s), and {high.target} "
        f"({high.stack}) the most, {hf.median:,.0f} µs ({TARGET_RATE * hf.median / 1e6:.1f} "
        f"cores): {hf.median / lf.median:.2f} times as much."
    )


# Every search, what is missing, method, environment ---------------------------------------


def _searches(report: Report) -> list[str]:
    lines = [
        "## Every search",
        "",
        "Each round's probe and offered rates in the order taken (✓ sustained, ✗ not; "
        f"{GENERATOR_BOUND} generator-bound, {CONTENDED} contended); the results files keep "
        "every step's counts, percentiles, histogram and CPU.",
        "",
        "| condition | round | service | probe: req/s, p99 ms | offered req/s | capacity |",
        "|---|---:|---|---:|---|---:|",
    ]
    summary = report.summary
    for condition in summary.conditions:
        cells = summary.row(condition)
        for round_ in sorted({r.search.round for c in cells for r in c.rounds}):
            for cell in cells:
                for r in (r for r in cell.rounds if r.search.round == round_):
                    probe = r.search.probe
                    probe_text = (
                        ""
                        if probe is None
                        else f"{probe.achieved_rps:,.0f}, {probe.latency_ms.p99:.3g}"
                        + (GENERATOR_BOUND if probe.generator_bound else "")
                    )
                    steps = " ".join(
                        f"{s.offered_rps:,.0f}{'✓' if s.sustained else '✗'}"
                        + (GENERATOR_BOUND if s.generator_bound else "")
                        + (CONTENDED if r.local and is_contended(s) else "")
                        for s in r.search.steps
                        if s.kind == RATE
                    )
                    cap = r.search.capacity
                    capacity = (
                        "none"
                        if cap.rps is None
                        else f"{'≥ ' if cap.lower_bound else ''}{cap.rps:,.0f} ({cap.limit})"
                    )
                    lines.append(
                        f"| {condition.describe()} | {round_} | {cell.target} | {probe_text} "
                        f"| {steps} | {capacity} |"
                    )
    return [*lines, ""]


def _unmeasured(report: Report) -> list[str]:
    summary = report.summary
    notes = []
    if not any(c.db_latency_ms for c in summary.conditions):
        notes.append("added database latency (no `db_latency_ms` label)")
    if len({c.db_pool_size for c in summary.conditions if c.db_pool_size is not None}) < 2:
        notes.append("pool sizes other than the default")
    unknown_cpu = sorted(
        {t.name for run in summary.runs for t in run.targets if t.cpu_source is None}
    )
    if unknown_cpu:
        notes.append("service CPU of " + ", ".join(unknown_cpu) + " (no `--pid`, `--cpu-from`)")
    k8s_gaps = sorted(
        {
            cell.target
            for cell in summary.cells.values()
            for r in cell.rounds
            for s in r.search.steps
            if s.service_cpu_s is None and cell.target not in unknown_cpu
        }
    )
    if k8s_gaps:
        notes.append(
            "service CPU in some windows of " + ", ".join(k8s_gaps) + " (no metrics sample "
            "fell inside the window: make windows longer than twice the metrics resolution)"
        )
    if not summary.per_core:
        notes.append("capacity per core (no `--cpu-allowance`: figures are req/s per service)")
    if any(run.settings.repeats < 2 for run in summary.runs):
        notes.append("run-to-run noise (a single round)")
    unlabelled = [t for t in summary.targets if t not in summary.stacks]
    if unlabelled:
        notes.append("the stack of " + ", ".join(unlabelled) + " (no `--meta stack.NAME=...`)")
    if "web_concurrency" not in {k for run in summary.runs for k in run.labels}:
        notes.append(
            "the services' worker count (no `web_concurrency` label): pool ceilings are per worker"
        )
    lines = ["## What these results do not measure", ""]
    if not notes:
        return [*lines, "Nothing the report asks for is missing.", ""]
    return [*lines, *(f"- {note}" for note in notes), ""]


def _method(runs: Sequence[RunResults]) -> list[str]:
    lines = ["## Method", ""]
    seen: list[str] = []
    for run in runs:
        s = run.settings
        search = (
            f"the offered rates {', '.join(f'{r:g}' for r in s.rates)} req/s, no search"
            if s.rates
            else f"a probe of {s.probe_users} closed-loop users ({s.warmup_s:g} s warm-up), "
            f"then offered rates searched to {s.resolution:.0%} (at most {s.max_steps} steps, "
            f"{s.max_rate:,.0f} req/s)"
        )
        text = (
            f"{s.repeats} round(s) of {search}; each step {s.settle_s:g} s settling, then a "
            f"{s.window_s:g} s window; sustained: p99 ≤ {s.slo_ms:g} ms, errors ≤ "
            f"{s.max_error_rate:.1%}, achieved ≥ {s.min_achieved:.0%} of offered; paced users "
            f"at {s.user_rate:g} req/s each, phases spread over one period; "
            f"{s.processes} local locust process(es), {s.expect_workers} external worker(s); "
            f"{s.rows:,} seeded rows (seed {s.seed}), demo-hit draws from "
            f"{min(s.rows, s.hit_names):,} names; generator-bound from "
            f"{s.generator_bound_at:.0%} of the generator's share"
        )
        labels = ", ".join(f"{k}={v}" for k, v in run.labels.items()) or "no labels"
        if text not in seen:
            seen.append(text)
        lines.append(f"- `{run.started_at}` ({labels}): method {seen.index(text) + 1}.")
    lines += ["", *(f"{i}. {text}." for i, text in enumerate(seen, 1)), ""]
    return lines


def _environment(runs: Sequence[RunResults]) -> list[str]:
    """One table: a fact shared by every run once, a fact that differs once per run."""
    lines = ["## Environment", "", "| | |", "|---|---|"]
    keys = list(dict.fromkeys(key for run in runs for key in run.environment))
    for key in keys:
        values = {
            run.started_at: _cell(run.environment[key]) for run in runs if key in run.environment
        }
        if len(set(values.values())) == 1:
            lines.append(f"| {key} | {next(iter(values.values()))} |")
        else:
            lines.append(f"| {key} | " + "; ".join(f"{v} ({t})" for t, v in values.items()) + " |")
    return lines


def _cell(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value).replace("|", "\\|")


# The README's block -----------------------------------------------------------------------


def write_readme_block(paths: Sequence[Path], report_path: Path, readme: Path) -> None:
    """Regenerate ``readme``'s answer block from the results files of the report at
    ``report_path`` (written by ``write_report``), linking it."""
    runs = [RunResults.read(p) for p in paths]
    summary = Summary.of(runs)
    rows = questions(summary)
    link = os.path.relpath(report_path, readme.parent)
    chart = os.path.relpath(report_path.parent / "latency-demo.png", readme.parent)
    block = [
        BEGIN,
        "<!-- Generated by `python -m loadtest report --readme` from the results it links; "
        "never edit by hand. -->",
        "",
        _made_by(runs).replace("Made by", "**The answer**, measured by", 1),
        "",
        *verdict_table(rows),
        "",
        MARKS,
        "",
        f"![Latency against load, demo]({chart})",
        "",
        f"The whole report, with every step of every round: [{link}]({link}).",
        END,
    ]
    text = readme.read_text() if readme.exists() else "# README\n"
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: "\n".join(block), text, count=1)
    else:
        title, _, rest = text.partition("\n")
        text = f"{title}\n\n" + "\n".join(block) + "\n" + rest
    readme.write_text(text)
