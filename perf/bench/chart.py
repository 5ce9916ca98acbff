"""The ladder as a stacked bar chart (PNG): one bar per service, one per floor, µs per request.

matplotlib's object API on the Agg backend (no display, no pyplot global state), drawn to PNG by
loadtest's charts module. A negative rung (noise larger than the layer) is drawn as nothing; the
report's table gives its value. A rung built from a row that was not its target's limit, or
that failed requests, is hatched: read it with its caveat.
"""

from __future__ import annotations

from collections.abc import Sequence

from loadtest.charts import png
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from perf.bench.ladder import RUNGS, Ladder

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
    tallest = max((ladder.total or 0.0 for ladder in ladders), default=0.0)
    for axes, group, heading in (
        (left, services, "services: the four layers"),
        (right, floors, "floors: server and driver"),
    ):
        names = [ladder.target for ladder in group]
        bottoms = [0.0] * len(group)
        # One kind per group, so every ladder in it has the same rungs.
        for i, rung in enumerate(group[0].names if group else ()):
            heights = [max(ladder.rungs[i] or 0.0, 0.0) for ladder in group]
            if not any(heights):
                continue
            bars = axes.bar(names, heights, bottom=bottoms, color=COLOURS[rung])
            for bar, ladder in zip(bars, group, strict=True):
                if ladder.doubtful[i]:
                    bar.set_hatch("//")
            # Values inside the segments tall enough to hold one.
            labels = [f"{h:,.0f}" if h >= tallest / 25 else "" for h in heights]
            axes.bar_label(bars, labels=labels, label_type="center", fontsize=8, color="white")
            bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
        blog = [(i, ladder.blog_us) for i, ladder in enumerate(group) if ladder.blog_us]
        if blog:
            x, y = zip(*blog, strict=True)
            axes.scatter(x, y, marker="_", s=900, linewidths=3, color="black", zorder=3)
        axes.set_title(heading)
        # Right-aligned under their bars: six services' and five floors' names side by side.
        axes.tick_params(axis="x", labelrotation=30)
        for label in axes.get_xticklabels():
            label.set_horizontalalignment("right")
        axes.grid(axis="y", alpha=0.3)
    left.set_ylabel("CPU µs per request")
    handles: dict[str, Artist] = {rung: Patch(facecolor=COLOURS[rung]) for rung in RUNGS}
    if any(ladder.blog_us for ladder in ladders):
        handles["the blog app's /demo"] = Line2D([], [], color="black", linewidth=3)
    if any(any(ladder.doubtful) for ladder in ladders):
        handles["hatched: from a row not CPU-bound, or failing"] = Patch(
            facecolor="white", edgecolor="grey", hatch="//"
        )
    figure.legend(handles.values(), handles.keys(), loc="outside lower center", ncols=3)
    figure.suptitle(title)
    return png(figure)
