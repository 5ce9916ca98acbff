"""The report's charts, with matplotlib's object API on the Agg backend (no display, no pyplot).

``draw`` draws each chart once, from the analysis; the report links them by the names here.
Colours say the model: gevent services in warm colours, asyncio ones in cool colours, threads
in purples, so a reader sees the models before the services. Bars carry the rounds' range as
whiskers and are hatched when the figure is only a lower bound (the load generator was the limit).
"""

from __future__ import annotations

import io
import math
import statistics
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib.figure import Figure as Canvas
from matplotlib.lines import Line2D

from loadtest.results import RATE

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from matplotlib.axes import Axes

    from loadtest.analysis import Analysis, Group
    from loadtest.results import Step
    from loadtest.summary import Cell, Condition, Figure, Summary

# No display, ever: also keeps pyplot (which this module never uses) from probing for one.
matplotlib.use("Agg")

PALETTES = {
    "gevent": ["#d95f02", "#e6ab02", "#a6761d", "#e7298a"],
    "asyncio": ["#1b9e77", "#377eb8", "#7570b3", "#66a61e"],
    "threads": ["#984ea3", "#c51b7d", "#542788", "#de77ae"],
    "other": ["#666666", "#999999", "#333333", "#bbbbbb"],
}
DPI = 100
BUCKET = 1.05  # offered rates within 5 % of each other are one point of a latency line
CAPACITY = "capacity.png"
DATABASE = "database-latency.png"
CPU = "cpu-per-request.png"


def latency_name(condition: Condition) -> str:
    extra = f"-{condition.db_latency_ms:g}ms" if condition.db_latency_ms else ""
    return f"latency-{condition.scenario}{extra}.png"


def capacity_title(a: Analysis) -> str:
    return f"Capacity at p99 ≤ {a.slo:g} ms ({a.measure.name}; higher is better)"


def database_title(a: Analysis) -> str:
    scenario = a.latencies[0].condition.scenario
    return f"{scenario}: capacity by added database latency ({a.measure.name})"


def draw(a: Analysis) -> dict[str, bytes]:
    """Every chart the report links, each once, as PNG by file name."""
    charts: dict[str, bytes] = {}
    for name, groups, title in (
        (CAPACITY, a.baselines, capacity_title),
        (DATABASE, a.latencies, database_title),
    ):
        if groups:
            charts[name] = grouped_bars(a.summary, groups, lambda cell: cell.capacity,
                                        title=title(a), ylabel=a.measure.name)  # fmt: skip
    for condition in [g.condition for g in a.baselines] + a.delayed:
        charts[latency_name(condition)] = latency_against_load(a.summary, condition, a.slo)
    if a.cpu_measured:
        charts[CPU] = grouped_bars(
            a.summary,
            a.baselines,
            lambda cell: cell.cpu_us,
            title="Service CPU per request at the highest sustained load (µs; lower is better)",
            ylabel="µs of CPU per request",
        )
    return charts


def colours(summary: Summary) -> dict[str, str]:
    """A colour per service, from its stack's palette, in the services' order."""
    taken: dict[str, int] = {}
    result = {}
    for target in summary.targets:
        stack = summary.stacks.get(target, "other")
        palette = PALETTES.get(stack, PALETTES["other"])
        result[target] = palette[taken.get(stack, 0) % len(palette)]
        taken[stack] = taken.get(stack, 0) + 1
    return result


def grouped_bars(
    summary: Summary,
    groups: Sequence[Group],
    value: Callable[[Cell], Figure | None],
    *,
    title: str,
    ylabel: str,
) -> bytes:
    """One group of bars per condition, one bar per service: median, range whiskers; a dashed
    line at the pool's ceiling where the group has one."""
    canvas = Canvas(figsize=(8, 4), layout="constrained")
    ax = canvas.subplots()
    palette = colours(summary)
    targets = summary.targets
    width = 0.8 / max(len(targets), 1)
    heights = [1.0]
    for t_index, target in enumerate(targets):
        for g_index, group in enumerate(groups):
            cell = summary.cell(group.condition, target)
            fig = value(cell) if cell else None
            if fig is None:
                continue
            x = g_index + (t_index - (len(targets) - 1) / 2) * width
            heights.append(fig.high)
            ax.bar(
                x,
                fig.median,
                width,
                color=palette[target],
                hatch="//" if fig.lower_bound else None,
                edgecolor="white" if fig.lower_bound else None,
                label=target if g_index == 0 else None,
            )
            if fig.rounds > 1:
                ax.errorbar(
                    x,
                    fig.median,
                    yerr=[[fig.median - fig.low], [fig.high - fig.median]],
                    fmt="none",
                    ecolor="black",
                    capsize=3,
                    linewidth=1,
                )
    top = max(heights)
    ceilings = [g.ceiling_per_core for g in groups]
    for g_index, ceiling in enumerate(ceilings):
        if ceiling is None:
            continue
        if ceiling <= 2 * top:
            ax.hlines(ceiling, g_index - 0.45, g_index + 0.45, colors="black", linestyles="--")
        else:  # far above every bar: say it rather than squash the bars under it
            ax.annotate(f"pool ceiling {ceiling:,.0f} (off the chart)", (g_index, top * 1.05),
                        ha="center", fontsize="small")  # fmt: skip
    ax.set_xticks(range(len(groups)), [g.label for g in groups])
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.set_ylim(bottom=0)
    _legend(ax, summary, [_key("pool ceiling", linestyle="--")] if any(ceilings) else [])
    return png(canvas)


def latency_against_load(summary: Summary, condition: Condition, slo: float) -> bytes:
    """p50 (dashed) and p99 (solid) against the offered rate, one line per service through the
    median of its rounds' steps at each rate (rates within 5 % of each other count as one),
    every step a dot (hollow where it was not sustained); the SLO as a horizontal line."""
    canvas = Canvas(figsize=(8, 4.5), layout="constrained")
    ax = canvas.subplots()
    palette = colours(summary)
    for cell in summary.row(condition):
        steps = [s for r in cell.rounds for s in r.search.steps if s.kind == RATE and s.requests]
        if not steps:
            continue
        colour = palette[cell.target]
        buckets: dict[int, list[Step]] = {}
        for step in steps:
            rate = step.offered_rps or 1.0
            buckets.setdefault(round(math.log(rate) / math.log(BUCKET)), []).append(step)
        ordered = [buckets[key] for key in sorted(buckets)]
        xs = [statistics.median(s.offered_rps or 0.0 for s in group) for group in ordered]
        for attr, style in (("p99", "-"), ("p50", "--")):
            ys = [statistics.median(getattr(s.latency_ms, attr) for s in g) for g in ordered]
            ax.plot(xs, ys, style, color=colour, linewidth=1.5)
            for step in steps:
                ax.plot(
                    step.offered_rps or 0.0,
                    getattr(step.latency_ms, attr),
                    "o",
                    color=colour,
                    markerfacecolor=colour if step.sustained else "white",
                    markersize=4 if attr == "p99" else 2.5,
                    alpha=0.7,
                )
    ax.axhline(slo, color="black", linewidth=1, linestyle=":")
    ax.annotate(f"SLO {slo:g} ms", (0, slo), xycoords=("axes fraction", "data"), va="bottom")
    ax.set_yscale("log")
    ax.set_xlabel("offered requests per second")
    ax.set_ylabel("latency, ms (log scale)")
    ax.set_title(f"Latency against load: {condition.describe().replace('`', '')}")
    ax.set_xlim(left=0)
    dot = {"marker": "o", "linestyle": ""}
    _legend(ax, summary, [_key("p99", linestyle="-"), _key("p50", linestyle="--"),
                          _key("sustained", **dot),
                          _key("not sustained", markerfacecolor="white", **dot)])  # fmt: skip
    return png(canvas)


def png(canvas: Canvas) -> bytes:
    """The figure as PNG bytes (perf's ladder chart draws through this too)."""
    out = io.BytesIO()
    canvas.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _key(label: str, **style: Any) -> Line2D:
    return Line2D([], [], color="black", label=label, **style)


def _legend(ax: Axes, summary: Summary, extra: Sequence[Line2D] = ()) -> None:
    palette = colours(summary)
    handles = [
        Line2D([], [], color=palette[t], linewidth=6, label=f"{t} ({summary.stacks.get(t, '?')})")
        for t in summary.targets
    ]
    ax.legend(handles=[*handles, *extra], fontsize="small", loc="best")
