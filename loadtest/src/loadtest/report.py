"""``python -m loadtest report``: the verdict first, then one section per question, with charts.

Sections: the verdict, capacity per core, latency against load, database latency
(``pools.py``), CPU per request, then every search's steps, what the results did not measure,
the method and the environment (``appendix.py``). Every figure comes from ``analysis.py``; this
module only words it, and each section opens with a sentence made from its own figures, so
report and results cannot disagree. ``--readme`` regenerates a marked block in another Markdown
file (the repository's README) with the verdict table and the latency-against-load chart.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from loadtest import appendix, charts, evidence, pools
from loadtest.analysis import analyse, median
from loadtest.markdown import (
    GENERATOR_BOUND,
    MARKS,
    ratio,
    sentence,
    table,
    verdict_table,
    with_block,
    with_range,
)
from loadtest.results import RunResults, write_all
from loadtest.verdict import CPU, possessive

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from loadtest.analysis import Analysis
    from loadtest.summary import Condition

REPORT_NAME = "report.md"
BEGIN = "<!-- answer:begin -->"
END = "<!-- answer:end -->"
TARGET_RATE = 10_000  # req/s a cluster is priced for
DESCRIPTIONS = {
    "demo": "`GET /demo`: the server draws a random name (the blog's test); almost never a hit",
    "demo-hit": "`GET /demo?name=X`: X is a seeded name, so rows are read and serialised",
    "idle": "`GET /idle`: no database access (the blog's idle test)",
}


def write_report(paths: Sequence[Path], out: Path) -> Path:
    """Render ``report.md`` and its charts into ``out``; return the Markdown file's path."""
    runs = [RunResults.read(path) for path in paths]
    a = analyse(runs)
    files = ", ".join(f"`{path.name}`" for path in paths)
    lines = [
        f"# {_question(a.models)}: capacity at p99 ≤ {a.slo:g} ms",
        "",
        f"{made_by(runs)} From {files}; every figure below comes from these files.",
        "",
        *_verdict(a),
        *_capacity(a),
        *_latency(a),
        *pools.section(a),
        *_cpu(a),
        *appendix.searches(a),
        *appendix.unmeasured(a),
        *appendix.method(runs),
        *appendix.instrument(runs),
        *appendix.environment(runs),
    ]
    write_all(out, {**charts.draw(a), REPORT_NAME: ("\n".join(lines) + "\n").encode()})
    return out / REPORT_NAME


def _question(models: Sequence[str]) -> str:
    models = models or ["gevent", "asyncio"]
    return " or ".join(models) if len(models) < 3 else f"{', '.join(models[:-1])} or {models[-1]}"


def made_by(runs: Sequence[RunResults]) -> str:
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


def _verdict(a: Analysis) -> list[str]:
    if not a.questions:
        return ["## Verdict", "", "No question could be answered: no model-labelled service "
                "was measured.", ""]  # fmt: skip
    return [
        "## Verdict",
        "",
        *verdict_table(a.questions, a.models),
        "",
        *(f"- {sentence(q, a.slo)}" for q in a.questions),
        "",
        *evidence.lines(a),
        MARKS,
        "",
    ]


def _capacity(a: Analysis) -> list[str]:
    lines = ["## Capacity per core" if a.summary.per_core else "## Capacity", ""]
    if not a.baselines:
        return [*lines, "No baseline condition was measured.", ""]
    return [
        *lines,
        _capacity_sentence(a),
        "",
        *pools.cells(a, a.baselines, ceilings=False),
        f"![{charts.capacity_title(a)}]({charts.CAPACITY})",
        "",
        "Each figure is the median over the rounds of the highest offered rate sustained for a "
        f"whole window with p99 ≤ {a.slo:g} ms, errors ≤ "
        f"{a.summary.runs[0].settings.max_error_rate:.1%} and the offered rate achieved, divided "
        "by the service's CPU allowance; the rounds' range in brackets.",
        "",
        *pools.failures(a, [g.condition for g in a.baselines]),
    ]


def _capacity_sentence(a: Analysis) -> str:
    conditions = {g.condition for g in a.baselines}
    rows = [q for q in a.questions if q.measure.higher_is_better and q.condition in conditions]
    counts: dict[str, list[str]] = {}
    for q in rows:
        if q.winner:
            noise = " within noise" if q.within_noise else ""
            counts.setdefault(q.winner, []).append(f"`{q.condition.scenario}` {ratio(q)}x{noise}")
    if not counts:
        return "No scenario could be ranked: see the verdict for why."
    parts = [
        f"{possessive(model)} best service sustains the most in {len(items)} of {len(rows)} "
        f"scenarios ({', '.join(items)})"
        for model, items in sorted(counts.items(), key=lambda kv: -len(kv[1]))
    ]
    unranked = len(rows) - sum(len(items) for items in counts.values())
    tail = f"; {unranked} not ranked" if unranked else ""
    return f"At p99 ≤ {a.slo:g} ms, " + "; ".join(parts) + tail + "."


def _latency(a: Analysis) -> list[str]:
    lines = ["## Latency against load", ""]
    if not a.baselines:
        return [*lines, "No baseline condition was measured.", ""]
    lines += [_latency_sentence(a, a.baselines[0].condition), ""]
    for group in a.baselines:
        scenario = group.label
        lines += [f"### `{scenario}`", "", DESCRIPTIONS.get(scenario, scenario) + ".", ""]
        lines += [f"![Latency against load, {scenario}]({charts.latency_name(group.condition)})"]
        lines += ["", *_knee_table(a, group.condition)]
    return lines


def _latency_sentence(a: Analysis, condition: Condition) -> str:
    knees = [(m, c) for c in a.summary.row(condition) if (m := median(c.absolute)) is not None]
    if len(knees) < 2:
        return f"One service at most sustained a rate on `{condition.scenario}`."
    knees.sort(key=lambda kv: kv[0])
    (low, first), (high, last) = knees[0], knees[-1]
    return (
        f"On `{condition.scenario}`, p99 crosses the {a.slo:g} ms SLO first for "
        f"{first.target} ({first.stack}), beyond {low:,.0f} req/s offered, and last for "
        f"{last.target} ({last.stack}), beyond {high:,.0f} req/s (medians of the rounds' "
        "highest sustained rates)."
    )


def _knee_table(a: Analysis, condition: Condition) -> list[str]:
    rows = []
    for cell in a.summary.row(condition):
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
        rows.append([cell.target, *("; ".join(v) for v in (capacities, at, above, probe))])
    header = ["service", "capacity (req/s)", "p50 / p99 there (ms)", "p99 one step above (ms)",
              "saturation probe: req/s, p99 (ms)"]  # fmt: skip
    return [*table(header, rows, "lrrrr"), "", "One value per round, in round order.", ""]


def _cpu(a: Analysis) -> list[str]:
    lines = ["## CPU per request", ""]
    if not a.cpu_measured:
        return [*lines, "Not measured: no target's CPU was known (`run --pid` for a local "
                "process, `--cpu-from k8s:...` for pods).", ""]  # fmt: skip
    rows = []
    for group in a.baselines:
        for cell in a.summary.row(group.condition):
            fig, capacity = cell.cpu_us, cell.capacity
            at_slo = ""
            if capacity is not None and a.summary.per_core:
                at_slo = (
                    f"{'≤ ' if capacity.lower_bound else ''}{TARGET_RATE / capacity.median:.1f}"
                )
            alone = "" if fig is None else f"{TARGET_RATE * fig.median / 1e6:.1f}"
            scenario = f"`{group.condition.scenario}`"
            rows.append([cell.target, cell.stack, scenario, with_range(CPU, fig), alone, at_slo])
    header = ["service", "stack", "scenario", "CPU per request",
              "cores for 10,000 req/s: CPU alone", "at the SLO"]  # fmt: skip
    return [
        *lines,
        _cpu_sentence(a, a.baselines[0].condition),
        "",
        "Service CPU time per request at each service's highest sustained load (µs, median "
        "over the rounds, with their range), and what that prices: the cores 10,000 req/s "
        "need for the CPU alone, and at the SLO (10,000 over the capacity per core).",
        "",
        *table(header, rows, "lllrrr"),
        "",
        f"![CPU per request]({charts.CPU})",
        "",
    ]


def _cpu_sentence(a: Analysis, condition: Condition) -> str:
    rated = [(c, f) for c in a.summary.row(condition) if (f := c.cpu_us) is not None]
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


def write_readme_block(paths: Sequence[Path], report_path: Path, readme: Path) -> None:
    """Regenerate ``readme``'s answer block from the results files of the report at
    ``report_path`` (written by ``write_report``), linking it: the one writer of that block."""
    runs = [RunResults.read(p) for p in paths]
    a = analyse(runs)
    link = os.path.relpath(report_path, readme.parent)
    chart = os.path.relpath(report_path.parent / "latency-demo.png", readme.parent)
    block = [
        BEGIN,
        "<!-- Generated by `python -m loadtest report --readme` from the results it links; "
        "never edit by hand. -->",
        "",
        made_by(runs).replace("Made by", "**The answer**, measured by", 1),
        "",
        *verdict_table(a.questions, a.models),
        "",
        MARKS,
        "",
        f"![Latency against load, demo]({chart})",
        "",
        f"The whole report, with every step of every round: [{link}]({link}).",
        END,
    ]
    text = readme.read_text() if readme.exists() else "# README\n"
    readme.write_text(with_block(text, BEGIN, END, "\n".join(block)))
