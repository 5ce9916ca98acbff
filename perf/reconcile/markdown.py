"""The report's section "Why the blog said otherwise", rendered from ``analysis`` alone.

``append`` adds it to a bench run's ``report.md`` (``perf/compare.py`` calls it after
``python -m loadtest report``, and again when it publishes); a run that measured none of the
blog's apps gets the section too, saying how to measure them.
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING

from loadtest.markdown import table

from perf.reconcile.analysis import IDLE_AHEAD, SATURATION, SLO, reconcile

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from loadtest.summary import Figure

    from perf.reconcile.analysis import App, Order, Ranking, Reconciliation

TITLE = "## Why the blog said otherwise"
HOW = (
    "This run measured none of the blog's apps (`perf/blog/`, its code as published): "
    "`nox -s bench -- --full` measures its four apps beside the templates, in the same run and "
    "conditions, at saturation (the blog's metric) and at the SLO (ours); "
    "`nox -s bench -- --full --service blog-flask --service flask` measures a pair alone. "
    "The default run leaves them out, for time."
)


def append(report: Path, templates: Sequence[Path], blog: Path) -> None:
    """Add the section to ``report`` (created if the run wrote none: blog apps alone)."""
    text = report.read_text() if report.exists() else "# The blog's apps\n"
    section = render(reconcile(templates, blog))
    report.write_text(text.rstrip("\n") + "\n\n" + "\n".join(section) + "\n")


def render(r: Reconciliation) -> list[str]:
    if not r.measured:
        return [TITLE, "", HOW]
    lines = [
        TITLE,
        "",
        "The blog (2024-08-20) ranked, with the database, Flask + gevent > Starlette > FastAPI, "
        "Django last, by throughput at saturation (6-core pods); without it, asyncio 10-20 % "
        "ahead. Its four apps ran here as published (`perf/blog/`), one worker on one core "
        "each, through the same runner in the same run as the templates, after each phase's "
        "templates and under its conditions. Saturation: the closed-loop probe's throughput "
        "(64 users, flat out); SLO: the highest rate sustained with p99 within it. Both per "
        "core, medians over the rounds (their range in brackets).",
        "",
        "### Does the blog's ranking reproduce with its own code?",
        "",
        *_verdicts(r),
        "",
        *_figures(r),
        "### What moves the ranking",
        "",
        *_metric(r),
        *_code(r),
        *_connections(r),
        *_first_answers(r),
        *_rows(r),
        *_failures(r),
    ]
    return lines


def _fig(fig: Figure | None) -> str:
    if fig is None:
        return "none sustained"
    spread = f" ({fig.low:,.0f}-{fig.high:,.0f})" if fig.low != fig.high else ""
    return f"{'≥ ' if fig.lower_bound else ''}{fig.median:,.0f}{spread}"


def _order(ranking: Ranking, metric: str, *, blog: bool) -> str:
    return _named(ranking.order(metric, blog=blog))


def _named(order: Order) -> str:
    if not order.frameworks:
        return "none measured"
    parts = [order.frameworks[0]]
    for a, b in pairwise(order.frameworks):
        parts.append(("≈ " if (a, b) in order.ties else "> ") + b)
    return " ".join(parts)


def _verdicts(r: Reconciliation) -> list[str]:
    rows = [
        (
            v.condition.describe(),
            " > ".join(f for f in v.claimed if f in v.found.frameworks),
            _named(v.found),  # the apps the blog's test had (its idle test: three)
            f"**{v.reproduces}**",
        )
        for v in r.verdicts
    ]
    lines = table(
        ("condition", "the blog's order", "measured here (saturation)", "reproduces"), rows
    )
    if r.idle_ahead is not None:
        low, high = IDLE_AHEAD
        lines += [
            "",
            f"Without the database (`idle`), the faster of the blog's asyncio apps serves "
            f"**{r.idle_ahead:.2f}x** its Flask at saturation (the blog: {low:.2f}-{high:.2f}x).",
        ]
    lines += ["", "`≈`: the two rounds' ranges overlap (within noise)."]
    return lines


def _figures(r: Reconciliation) -> list[str]:
    lines = []
    for ranking in r.rankings:
        rows = [
            (
                f"`{a.target}`" + (" (blog)" if a.blog else ""),
                _fig(a.saturation),
                _fig(a.slo),
                f"{a.failed:,} of {a.requests:,}",
            )
            for a in sorted(ranking.apps, key=lambda a: (a.framework, not a.blog))
        ]
        header = ("target", "saturation, req/s per core", "at the SLO, req/s per core", "failed")
        lines += [f"{ranking.condition.describe()}:", "", *table(header, rows, "lrrr"), ""]
    return lines


def _metric(r: Reconciliation) -> list[str]:
    lines = ["**The metric (saturation vs the SLO).**"]
    for ranking in r.rankings:
        saturated, at_slo = (ranking.order(m, blog=True) for m in (SATURATION, SLO))
        sat, slo = _named(saturated), _named(at_slo)
        if saturated.frameworks == at_slo.frameworks:
            moved = "the same order"
        elif at_slo.matches_within_noise(saturated.frameworks):
            moved = "the same order within noise"
        else:
            moved = "**the order moves**"
        text = (
            f"{ranking.condition.describe()}: the blog's apps rank {sat} at saturation, {slo} "
            f"at the SLO ({moved})"
        )
        if ranking.of(blog=False):
            text += (
                f"; the templates {_order(ranking, SATURATION, blog=False)} and "
                f"{_order(ranking, SLO, blog=False)}"
            )
        lines.append(text + ".")
    return [" ".join(lines), ""]


def _code(r: Reconciliation) -> list[str]:
    lines = ["**The code (each template over the blog's app of its framework, same condition).**"]
    for ranking in r.rankings:
        pairs = []
        for blog_app in ranking.of(blog=True):
            template = ranking.app(blog_app.framework, blog=False)
            if template is None:
                continue
            pairs.append(f"{blog_app.framework} {_ratio(template, blog_app)}")
        if pairs:
            lines.append(f"{ranking.condition.describe()}: {'; '.join(pairs)}.")
    if len(lines) == 1:
        lines.append("no template was measured beside its blog app in this run.")
    return [" ".join(lines), ""]


def _ratio(template: App, blog_app: App) -> str:
    parts = []
    for name, metric in (("saturated", SATURATION), ("at the SLO", SLO)):
        t, b = template.value(metric), blog_app.value(metric)
        if t is not None and b is not None and b.median:
            parts.append(f"{t.median / b.median:.2f}x {name}")
    return ", ".join(parts) or "not comparable (nothing sustained)"


def _connections(r: Reconciliation) -> list[str]:
    if not r.probes:
        return []
    pool = f"{r.pool_per_worker} per worker" if r.pool_per_worker else "their DB_POOL_SIZE"
    held = "; ".join(
        f"`{p.target}` {p.connections_peak:,}" for p in r.probes if p.connections_peak >= 0
    )
    lines = [
        "**Pools of 10,000 connections, a connection never returned, a connect per request.** "
        f"The most database connections each blog app held during its runs (the server's own "
        f"count, read every 0.1 s): {held}; the templates' pools hold at most {pool}."
    ]
    if r.ladder:
        rows = [
            (
                f"`{x.target}`",
                f"{x.connections}",
                f"{x.rps:,.0f}",
                f"{x.conns:,}",
                f"{x.failures:,} ({x.timeouts:,})",
            )
            for x in sorted(r.ladder, key=lambda x: (x.target.removeprefix("blog-"), x.connections))
        ]
        lines += [
            f"perf's ladder (`perf/docs/perf.json`, {r.ladder_when or 'published'}; one worker, "
            "`/demo`) at 64 and 512 connections:",
            "",
            *table(
                ("target", "connections", "req/s", "db connections", "failed (timeouts)"),
                rows,
                "lrrrr",
            ),
        ]
    return [*lines, ""]


def _first_answers(r: Reconciliation) -> list[str]:
    if not r.probes:
        return []
    rows = [
        (f"`{p.target}`", f"{p.first['starts']:.0f}", *_burst(p.first), *_burst(p.warm))
        for p in r.probes
    ]
    header = ("app", "starts", "first 64: failed", "median / slowest ms", "next 64: failed",
              "median / slowest ms")  # fmt: skip
    return [
        "**A lazy connect in the first request** (the blog's FastAPI and Starlette connect "
        "inside their first `/demo`): at each start of each app (once per phase), 64 "
        "concurrent `/demo` as its first database work, then 64 more; failures summed over "
        "the starts, the median of their medians, the slowest of all.",
        "",
        *table(header, rows, "lrrrrr"),
        "",
    ]


def _burst(burst: dict[str, float]) -> tuple[str, str]:
    failed = f"{burst['failed']:,.0f} of {burst['requests']:,.0f}"
    return failed, f"{burst['median_ms']:,.0f} / {burst['slowest_ms']:,.0f}"


def _rows(r: Reconciliation) -> list[str]:
    if not r.probes:
        return []
    parts = []
    for p in r.probes:
        shape = f"{p.contract_rows} of {p.with_rows} with rows in the contract's shape" + (
            f" (e.g. `{p.example}`)" if p.example else ""
        )
        parts.append(f"`{p.target}` {p.with_rows} of {p.sampled:,} carried rows, {shape}")
    return [
        "**Rows not serialised.** `/demo` answers sampled after the first ones: "
        + "; ".join(parts)
        + ". Rows come back for a few drawn names only, so what a body costs moves a ranking "
        "by at most that share of the answers.",
        "",
    ]


def _failures(r: Reconciliation) -> list[str]:
    found = [
        f"`{a.target}` under {ranking.condition.describe()}: {a.failed:,} of {a.requests:,} "
        f"({', '.join(f'{m} x {n:,}' for m, n in a.failures.items())})"
        for ranking in r.rankings
        for a in ranking.of(blog=True)
        if a.failed
    ]
    text = "; ".join(found) + "." if found else "none of the blog's apps failed a request here."
    return [f"**Failures under load** (every step of the runner, probe included): {text}", ""]
