"""The report's closing sections: every search's steps, what the results did not measure, the
method and the environment, each straight from the results files."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from loadtest.analysis import Analysis, step_marks
from loadtest.markdown import CONTENDED, GENERATOR_BOUND, table
from loadtest.summary import is_contended

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loadtest.results import RunResults, Search


def searches(a: Analysis) -> list[str]:
    rows = []
    for condition in a.summary.conditions:
        cells = a.summary.row(condition)
        for round_ in sorted({r.search.round for c in cells for r in c.rounds}):
            for cell in cells:
                for r in (r for r in cell.rounds if r.search.round == round_):
                    rows.append([condition.describe(), str(round_), cell.target,
                                 *_search(r.search, r.local)])  # fmt: skip
    header = ["condition", "round", "service", "probe: req/s, p99 ms", "offered req/s",
              "capacity"]  # fmt: skip
    return [
        "## Every search",
        "",
        "Each round's probe and offered rates in the order taken (✓ sustained, ✗ not; "
        f"{GENERATOR_BOUND} generator-bound, {CONTENDED} contended); the results files keep "
        "every step's counts, percentiles, histogram and CPU.",
        "",
        *table(header, rows, "lrlrlr"),
        "",
    ]


def _search(found: Search, local: bool) -> list[str]:
    """The probe, the offered rates and the capacity of one round."""
    probe = found.probe
    probe_text = (
        ""
        if probe is None
        else f"{probe.achieved_rps:,.0f}, {probe.latency_ms.p99:.3g}"
        + (GENERATOR_BOUND if probe.generator_bound else "")
    )
    steps = " ".join(
        f"{s.offered_rps:,.0f}{'✓' if s.sustained else '✗'}"
        + (GENERATOR_BOUND if s.generator_bound else "")
        + (CONTENDED if local and is_contended(s) else "")
        for s in found.rate_steps
    )
    cap = found.capacity
    bound = "≥ " if cap.lower_bound else ""
    capacity = "none" if cap.rps is None else f"{bound}{cap.rps:,.0f} ({cap.limit})"
    return [probe_text, steps, capacity]


def unmeasured(a: Analysis) -> list[str]:
    summary = a.summary
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


def method(runs: Sequence[RunResults]) -> list[str]:
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
    return [*lines, "", *(f"{i}. {text}." for i, text in enumerate(seen, 1)), ""]


def environment(runs: Sequence[RunResults]) -> list[str]:
    """One table: a fact shared by every run once, a fact that differs once per run."""
    lines = ["## Environment", "", "| | |", "|---|---|"]
    for key in dict.fromkeys(key for run in runs for key in run.environment):
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


# What each generator's latency is, so a cluster run (locust) and a one-machine run (wrk) are
# never read as if alike.
LATENCY_MEANS = {
    "locust": "from a paced user's send to the answer's end, in the locust worker (its own "
    "scheduling delays included)",
    "wrk": "from the request's write to the answer's last byte; a send later than a tenth of "
    "the SLO after its slot is counted late, and a step with over 1 % late sends is marked",
}


def instrument(runs: Sequence[RunResults]) -> list[str]:
    """The load side measured alone: which generator, its own figures, what marked a step."""
    lines = ["## The instrument", ""]
    for run in runs:
        generator = run.settings.generator
        lines.append(
            f"- `{run.started_at}`: {generator}, latency {LATENCY_MEANS.get(generator, '?')}."
        )
        # The bench notes the proxy's cost among the run's facts (`--meta`: the environment).
        injector = {k.removeprefix("injector."): v for k, v in run.environment.items()
                    if k.startswith("injector.")}  # fmt: skip
        if injector:
            lines.append(
                f"  The delaying proxy at +0 ms added {float(injector['added_p50_ms']):.2f} ms "
                f"at p50 and {float(injector['added_p99_ms']):.2f} ms at p99 per round trip, "
                f"for {float(injector['cpu_us_per_round_trip']):,.0f} µs of CPU; at +0 ms "
                "the services reach the database directly."
            )
        if marks := step_marks(run):
            lines.append(
                "  Steps marked (never deciding a capacity): "
                + "; ".join(f"{mark} x {n}" for mark, n in marks)
                + "."
            )
    # A later phase reuses the first's calibration (the same load side): each shown once.
    seen: set[str] = set()
    points: list[tuple[str, dict[str, Any]]] = []
    for run in runs:
        if (key := json.dumps(run.calibration, sort_keys=True)) not in seen:
            seen.add(key)
            points += [(run.started_at, p) for p in run.calibration]
    if points:
        rows = [
            [
                f"`{started}`",
                f"{p['offered_rps']:,.0f}",
                f"{p['achieved_rps']:,.0f}",
                f"{p['p50_ms']:.2f}",
                f"{p['p99_ms']:.2f}",
                "" if p["generator_us_per_request"] is None
                else f"{p['generator_us_per_request']:,.0f}",
                f"{p['late_share']:.1%}",
            ]
            for started, p in points
        ]  # fmt: skip
        header = ["run", "offered req/s", "achieved", "p50 ms", "p99 ms", "µs CPU/req", "late"]
        lines += [
            "",
            "The generator alone against a target that does no work, at the rates it offers:",
            "",
            *table(header, rows, "lrrrrrr"),
        ]
    return [*lines, ""]
