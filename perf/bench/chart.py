"""The ladder as a stacked bar chart (PNG): one bar per service, one per floor, µs per request.

matplotlib's object API on the Agg backend (no display, no pyplot global state), as loadtest's
report draws its charts. A negative rung (noise larger than the layer) is drawn as nothing; the
report's table gives its value. A bar built from a row that was not its target's limit, or
that failed requests, is hatched: read it with its caveat.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from perf.bench.ladder import RUNGS, Ladder

matplotlib.use("Agg")

COLOURS = dict(zip(RUNGS, ("#4c72b0", "#dd8452", "#55a868", "#c44e52"), strict=True))


def ladder_png(ladders: Sequence[Ladder], title: str) -> bytes:
    """The chart, as PNG bytes."""
    ladders = [ladder for ladder in ladders if ladder.measured]
    services = [ladder for ladder in ladders if ladder.kind == "service"]
    floors = [ladder for ladder in ladders if ladder.kind == "floor"]
    figure = Figure(figsize=(11, 5.5), layout="constrained")
    left, right = figure.subplots(
        1, 2, sharey=True, width_ratios=[max(len(services), 1), max(len(floors), 1)]
    )
    for axes, group, heading in (
        (left, services, "services: the four layers"),
        (right, floors, "floors: server and driver"),
    ):
        names = [ladder.target for ladder in group]
        bottoms = [0.0] * len(group)
        for rung in RUNGS:
            heights = []
            for ladder in group:
                sizes = dict(zip(ladder.names, ladder.rungs, strict=True))
                heights.append(max(sizes.get(rung) or 0.0, 0.0))
            if any(heights):
                bars = axes.bar(names, heights, bottom=bottoms, color=COLOURS[rung], label=rung)
                for bar, ladder in zip(bars, group, strict=True):
                    if ladder.caveats:
                        bar.set_hatch("//")
                axes.bar_label(
                    bars,
                    labels=[f"{h:,.0f}" if h else "" for h in heights],
                    label_type="center",
                    fontsize=8,
                    color="white",
                )
                bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        blog = [(i, ladder.blog_us) for i, ladder in enumerate(group) if ladder.blog_us]
        if blog:
            axes.scatter(
                [i for i, _ in blog],
                [us for _, us in blog],
                marker="_",
                s=900,
                linewidths=3,
                color="black",
                label="the blog app's /demo",
                zorder=3,
            )
        axes.set_title(heading)
        axes.tick_params(axis="x", labelrotation=20)
        axes.grid(axis="y", alpha=0.3)
    left.set_ylabel("CPU µs per request")
    handles, labels = left.get_legend_handles_labels()
    seen = dict(zip(labels, handles, strict=True))
    for handle, label in zip(*right.get_legend_handles_labels(), strict=True):
        seen.setdefault(label, handle)
    if any(ladder.caveats for ladder in ladders):
        seen["hatched: a row not CPU-bound, or failing"] = Patch(
            facecolor="white", edgecolor="grey", hatch="//"
        )
    figure.legend(seen.values(), seen.keys(), loc="outside lower center", ncols=3)
    figure.suptitle(title)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=100)
    return out.getvalue()
