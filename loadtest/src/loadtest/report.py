"""``python -m loadtest report``: a Markdown report and PNG charts from results files.

One section per scenario, as in the blog: a table (throughput, latency percentiles, failures,
CPU) and two charts (requests/s per service; p50/p90/p99 latency per service). Results that the
load generator capped are hatched in the charts and marked in the tables: they are lower bounds
on the service, not its limit. Charts use matplotlib's object API on the Agg backend (no
display, no pyplot global state).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from loadtest.results import Measurement, RunResults, Settings

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

# No display, ever: also keeps pyplot (which this module never uses) from probing for one.
matplotlib.use("Agg")

DESCRIPTIONS = {
    "demo": "`GET /demo`: the server draws a random name (the blog's test); almost never a hit",
    "demo-hit": "`GET /demo?name=X`: X is a seeded name, so rows are read and serialised",
    "idle": "`GET /idle`: no database access (the blog's idle test)",
}
GENERATOR_BOUND = "†"
CONTENDED = "‡"
# Cores the machine spent outside the measured processes beyond which a figure is suspect: the
# kernel's own share of loopback traffic stays well below it.
CONTENDED_AT = 0.25
# `run --meta stack.NAME=gevent` labels target NAME; its bars then take the stack's colour.
STACK_PREFIX = "stack."
STACK_COLOURS = {"gevent": "tab:orange", "asyncio": "tab:blue"}
OTHER_COLOUR = "tab:green"
REPORT_NAME = "report.md"


def write_report(paths: Sequence[Path], out: Path) -> Path:
    """Render ``report.md`` and its charts into ``out``; return the Markdown file's path."""
    runs = [RunResults.read(path) for path in paths]
    out.mkdir(parents=True, exist_ok=True)
    measurements = _label(runs)
    stacks = {
        key.removeprefix(STACK_PREFIX): str(value)
        for run in runs
        for key, value in run.environment.items()
        if key.startswith(STACK_PREFIX)
    }
    scenarios = _ordered([m.scenario for m in measurements], preferred=list(DESCRIPTIONS))
    targets = _ordered([m.target for m in measurements])
    lines = [
        "# Load test report",
        "",
        "From "
        + ", ".join(f"`{path.name}`" for path in paths)
        + f" ({runs[0].started_at} to {runs[-1].finished_at}).",
        "",
        "## Requests per second",
        "",
        *_summary(measurements, targets, scenarios, stacks),
        "",
        f"{GENERATOR_BOUND} generator-bound: the load generator used nearly all of its CPU share,"
        " so this is a lower bound on the service, not its limit.",
        "",
        f"{CONTENDED} contended: other processes on the machine used more than {CONTENDED_AT:g}"
        " of a core during the window (besides the service, the watched processes and the"
        " generator); the service may have been starved, so do not rank on this figure.",
    ]
    for scenario in scenarios:
        rows = [m for m in measurements if m.scenario == scenario]
        slug = scenario.replace("/", "_")
        _throughput_chart(rows, scenario, stacks, out / f"throughput-{slug}.png")
        _latency_chart(rows, scenario, out / f"latency-{slug}.png")
        lines += [
            "",
            f"## Scenario `{scenario}`",
            "",
            DESCRIPTIONS.get(scenario, scenario) + ".",
            "",
        ]
        lines += _scenario_table(rows)
        lines += [
            "",
            f"![Throughput, {scenario}](throughput-{slug}.png)",
            f"![Latency, {scenario}](latency-{slug}.png)",
        ]
        lines += _errors(rows)
    lines += ["", *_settings(runs), "", *_environment(runs)]
    path = out / REPORT_NAME
    path.write_text("\n".join(lines) + "\n")
    return path


def _label(runs: Sequence[RunResults]) -> list[Measurement]:
    """All measurements; a target measured again in a later file gets that run's time."""
    seen: set[tuple[str, str]] = set()
    labelled = []
    for run in runs:
        for original in run.measurements:
            m = original
            if (m.target, m.scenario) in seen:
                m = Measurement(**{**m.__dict__, "target": f"{m.target} ({run.started_at})"})
            seen.add((m.target, m.scenario))
            labelled.append(m)
    return labelled


def _ordered(items: Sequence[str], preferred: Sequence[str] = ()) -> list[str]:
    unique = list(dict.fromkeys(items))
    return [p for p in preferred if p in unique] + [i for i in unique if i not in preferred]


def other_load(m: Measurement) -> float | None:
    """Cores the machine spent on processes outside the measurement (None when unknowable:
    without the service's CPU, e.g. when it runs on another host)."""
    if m.service_cpu_cores is None:
        return None
    ours = m.service_cpu_s or 0.0
    ours += sum(m.watched_cpu_s.values()) + m.generator_cpu_s
    return max(m.machine_cpu_cores - ours / m.window_s, 0.0)


def _rps(m: Measurement) -> str:
    other = other_load(m)
    marks = GENERATOR_BOUND if m.generator_bound else ""
    marks += CONTENDED if other is not None and other > CONTENDED_AT else ""
    return f"{m.rps:,.0f}{marks}"


def _summary(
    measurements: Sequence[Measurement],
    targets: list[str],
    scenarios: list[str],
    stacks: dict[str, str],
) -> list[str]:
    cell = {(m.target, m.scenario): m for m in measurements}
    lines = [
        "| service | stack | " + " | ".join(scenarios) + " |",
        "|---|---" + "|---:" * len(scenarios) + "|",
    ]
    for target in targets:
        values = [_rps(cell[target, s]) if (target, s) in cell else "" for s in scenarios]
        lines.append(f"| {target} | {stacks.get(target, '')} | " + " | ".join(values) + " |")
    return lines


def _cores(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _scenario_table(rows: Sequence[Measurement]) -> list[str]:
    watched = _ordered([name for m in rows for name in m.watched_cpu_s])
    lines = [
        "| service | req/s | p50 ms | p90 ms | p99 ms | max ms | requests | failures "
        "| service CPU (cores) | "
        + "".join(f"{name} CPU (cores) | " for name in watched)
        + "generator CPU (of its share) | other processes (cores) |",
        "|---" + "|---:" * (10 + len(watched)) + "|",
    ]
    for m in rows:
        lat = m.latency_ms
        others = [m.watched_cpu_s.get(name) for name in watched]
        lines.append(
            f"| {m.target} | {_rps(m)} | {lat.p50:g} | {lat.p90:g} | {lat.p99:g} | {lat.max:g} "
            f"| {m.requests:,} | {m.failures:,} | {_cores(m.service_cpu_cores)} | "
            + "".join(f"{_cores(None if s is None else s / m.window_s)} | " for s in others)
            + f"{m.generator_utilisation:.0%} | {_cores(other_load(m))} |"
        )
    return lines


def _errors(rows: Sequence[Measurement]) -> list[str]:
    failing = [m for m in rows if m.errors]
    if not failing:
        return []
    lines = ["", "Failures:", ""]
    for m in failing:
        for message, count in m.errors.items():
            lines.append(f"- {m.target}: {count} x {message}")
    return lines


def _settings(runs: Sequence[RunResults]) -> list[str]:
    lines = ["## Settings", ""]
    distinct: list[Settings] = []  # one line per distinct profile (unhashable: it holds a list)
    for run in runs:
        if run.settings not in distinct:
            distinct.append(run.settings)
    for s in distinct:
        used_by = [run.started_at for run in runs if run.settings == s]
        which = "all runs" if len(distinct) == 1 else ", ".join(used_by)
        lines.append(
            f"- {which}: {s.users} users (spawn rate {s.spawn_rate:g}/s, no think "
            f"time), {s.warmup_s:g} s warm-up not counted, {s.duration_s:g} s window; "
            f"{s.processes} local locust process(es), {s.expect_workers} external worker(s); "
            f"{s.rows:,} seeded rows (seed {s.seed}), demo-hit draws from "
            f"{min(s.rows, s.hit_names):,} names; generator-bound from "
            f"{s.generator_bound_at:.0%} of the generator's share."
        )
    return lines


def _environment(runs: Sequence[RunResults]) -> list[str]:
    """One table: a fact shared by every run once, a fact that differs once per run."""
    lines = ["## Environment", "", "| | |", "|---|---|"]
    keys = _ordered([key for run in runs for key in run.environment])
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
    return str(value)


def _throughput_chart(
    rows: Sequence[Measurement], scenario: str, stacks: dict[str, str], path: Path
) -> None:
    fig = Figure(figsize=(7, 0.6 * len(rows) + 1.4), layout="constrained")
    ax = fig.subplots()
    ordered = list(rows)[::-1]  # barh draws bottom-up; keep the table's order top-down
    colours = [STACK_COLOURS.get(stacks.get(m.target, ""), OTHER_COLOUR) for m in ordered]
    bars = ax.barh([m.target for m in ordered], [m.rps for m in ordered], color=colours)
    for bar, m in zip(bars, ordered, strict=True):
        if m.generator_bound:
            bar.set_hatch("//")
    ax.bar_label(bars, labels=[_rps(m) for m in ordered], padding=3)
    shown = sorted({stacks[m.target] for m in rows if m.target in stacks})
    if shown:
        # Outside the axes: inside, it would cover some bar's label.
        fig.legend(
            handles=[Patch(color=STACK_COLOURS.get(s, OTHER_COLOUR), label=s) for s in shown],
            loc="outside lower center",
            ncols=len(shown),
        )
    ax.set_xlabel("requests per second (higher is better)")
    ax.set_title(f"Throughput: {scenario}")
    ax.margins(x=0.15)
    fig.savefig(path, dpi=100)


def _latency_chart(rows: Sequence[Measurement], scenario: str, path: Path) -> None:
    fig = Figure(figsize=(7, 3.6), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / 3
    for index, (label, attr) in enumerate((("p50", "p50"), ("p90", "p90"), ("p99", "p99"))):
        xs = [i + (index - 1) * width for i in range(len(rows))]
        ax.bar(xs, [getattr(m.latency_ms, attr) for m in rows], width, label=label)
    ax.set_xticks(range(len(rows)), [m.target for m in rows])
    ax.set_ylabel("milliseconds (lower is better)")
    ax.set_title(f"Latency percentiles: {scenario}")
    ax.legend()
    fig.savefig(path, dpi=100)
