"""Every figure of "Why the blog said otherwise", from one bench run's results files alone.

The templates' results and the blog's apps' (``blog/``, with the first answers and connection
counts of ``probes-N.json``) are read together; which target is a blog app, and which template
it corresponds to, comes from the results (``blog.<target>`` in their environment), never from
a list here. Saturation is the closed-loop probe's achieved rate (the blog's metric: the
throughput of a service flat out), capacity the highest rate sustained within the SLO (ours);
both per core, medians over the rounds (``loadtest.summary.figure``). perf's ladder
(``perf/docs/perf.json``, when present) adds its own figures at 64 and 512 connections.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loadtest.results import RunResults
from loadtest.settings import DEFAULT_POOL_SIZE
from loadtest.summary import Condition, Figure, Summary, figure

from perf.reconcile.run import META, PROBES

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from loadtest.summary import Cell

LADDER = Path(__file__).resolve().parent.parent / "docs" / "perf.json"
# What the blog found (its post of 2024-08-20), as frameworks in descending order of throughput.
WITH_DB = ("flask", "starlette", "fastapi", "django")  # "Django 毫无疑问的最后 ... Flask + Gevent
# > Starlette > FastAPI"
IDLE = ("starlette", "fastapi", "flask")  # its idle test: "Starlette > FastAPI > Flask + Gevent"
IDLE_AHEAD = (1.10, 1.20)  # asyncio ahead by 10-20 % without the database
SATURATION, SLO = "saturation", "slo"


@dataclass(frozen=True)
class App:
    """One target under one condition: a blog app or a template, by the framework it is."""

    target: str
    framework: str
    blog: bool
    saturation: Figure | None  # req/s per core
    slo: Figure | None  # req/s per core
    requests: int
    failures: dict[str, int]

    def value(self, metric: str) -> Figure | None:
        return self.saturation if metric == SATURATION else self.slo

    @property
    def failed(self) -> int:
        return sum(self.failures.values())


@dataclass(frozen=True)
class Order:
    """Frameworks in descending order of a metric, and the neighbours within noise."""

    frameworks: tuple[str, ...]
    ties: tuple[tuple[str, str], ...]

    def matches(self, claimed: Sequence[str]) -> bool:
        return self.frameworks == tuple(f for f in claimed if f in self.frameworks)

    def matches_within_noise(self, claimed: Sequence[str]) -> bool:
        """Whether some order the ties allow (neighbours swapped) is the claimed one."""
        wanted = [f for f in claimed if f in self.frameworks]
        found = list(self.frameworks)
        for i in range(len(found) - 1):
            if found[i] != wanted[i] and (found[i], found[i + 1]) in self.ties:
                found[i], found[i + 1] = found[i + 1], found[i]
        return found == wanted


@dataclass(frozen=True)
class Ranking:
    """One condition: every blog app and template measured under it."""

    condition: Condition
    apps: list[App]

    def of(self, *, blog: bool) -> list[App]:
        return [a for a in self.apps if a.blog == blog]

    def app(self, framework: str, *, blog: bool) -> App | None:
        return next((a for a in self.of(blog=blog) if a.framework == framework), None)

    def order(self, metric: str, *, blog: bool, among: Sequence[str] | None = None) -> Order:
        """Frameworks by ``metric`` (``among``: only these); an app without a figure (no rate
        sustained) last."""
        apps = [a for a in self.of(blog=blog) if among is None or a.framework in among]
        rated = [(a, f) for a in apps if (f := a.value(metric)) is not None]
        rated.sort(key=lambda pair: -pair[1].median)
        ties = tuple(
            (a.framework, b.framework) for (a, fa), (b, fb) in pairwise(rated) if fa.overlaps(fb)
        )
        unrated = [a for a in apps if a.value(metric) is None]
        return Order(tuple(a.framework for a in [*(a for a, _ in rated), *unrated]), ties)


@dataclass(frozen=True)
class Verdict:
    """Whether the blog's order reproduces under one condition, by its metric."""

    condition: Condition
    claimed: tuple[str, ...]
    found: Order
    reproduces: str  # "yes", "within noise", "no"


@dataclass(frozen=True)
class Probe:
    """One blog app's first answers, bodies and connections over the phases."""

    target: str
    framework: str
    # The first 64 concurrent /demo of each start (Burst's fields, summed; "starts"), and the
    # 64 after them.
    first: dict[str, float]
    warm: dict[str, float]
    sampled: int
    with_rows: int
    contract_rows: int
    example: str
    connections_peak: int


@dataclass(frozen=True)
class LadderRow:
    target: str
    connections: int
    rps: float
    failures: int
    timeouts: int
    conns: int
    bodies: str


@dataclass(frozen=True)
class Reconciliation:
    rankings: list[Ranking]
    verdicts: list[Verdict]
    idle_ahead: float | None  # the best asyncio blog app over the blog's Flask, idle, saturated
    probes: list[Probe]
    pool_per_worker: int | None  # the templates' pool (DB_POOL_SIZE)
    ladder: list[LadderRow] = field(default_factory=list)
    ladder_when: str = ""

    @property
    def measured(self) -> bool:
        return any(r.of(blog=True) for r in self.rankings)

    def with_db(self) -> list[Ranking]:
        return [r for r in self.rankings if r.condition.scenario == "demo"]

    def idle(self) -> Ranking | None:
        return next((r for r in self.rankings if r.condition.scenario == "idle"), None)


def reconcile(
    templates: Sequence[Path], blog: Path | None, ladder: Path | None = LADDER
) -> Reconciliation:
    """The figures of one run: the templates' results, the blog's folder (may be absent)."""
    blog_files = sorted(blog.glob("loadtest-*.json")) if blog and blog.is_dir() else []
    runs = [RunResults.read(p) for p in [*templates, *blog_files]]
    frameworks = {
        key.removeprefix(META): str(value)
        for run in runs
        for key, value in run.environment.items()
        if key.startswith(META)
    }
    rankings = _rankings(Summary.of(runs), frameworks) if runs else []
    pools = {int(run.labels["db_pool_size"]) for run in runs if "db_pool_size" in run.labels}
    return Reconciliation(
        rankings=rankings,
        verdicts=_verdicts(rankings),
        idle_ahead=_idle_ahead(rankings),
        probes=_probes(blog, frameworks) if blog and blog.is_dir() else [],
        # The rankings are the default pool's; without one, the smallest the run had.
        pool_per_worker=DEFAULT_POOL_SIZE
        if DEFAULT_POOL_SIZE in pools
        else min(pools, default=None),
        ladder=_ladder(ladder, frameworks) if ladder and ladder.exists() and frameworks else [],
        ladder_when=_ladder_when(ladder) if ladder and ladder.exists() else "",
    )


def _rankings(summary: Summary, frameworks: dict[str, str]) -> list[Ranking]:
    """The conditions of the default pool under which a blog app was measured."""
    rankings = []
    for condition in summary.conditions:
        cells = summary.row(condition)
        if not any(c.target in frameworks for c in cells) or condition.db_pool_size not in {
            None,
            DEFAULT_POOL_SIZE,
        }:
            continue
        apps = [_app(c, frameworks) for c in cells]
        wanted = set(frameworks.values())
        apps = [a for a in apps if a.blog or a.framework in wanted]
        rankings.append(Ranking(condition, apps))
    return rankings


def _app(cell: Cell, frameworks: dict[str, str]) -> App:
    saturated = []
    for r in cell.rounds:
        probe = r.search.probe
        if probe is not None and probe.requests:
            saturated.append(
                probe.achieved_rps / r.allowance if r.allowance else probe.achieved_rps
            )
    requests = sum(s.requests for r in cell.rounds for s in r.search.steps)
    return App(
        target=cell.target,
        framework=frameworks.get(cell.target, cell.target),
        blog=cell.target in frameworks,
        saturation=figure(saturated),
        slo=cell.capacity,
        requests=requests,
        failures=cell.failures,
    )


def _verdicts(rankings: Iterable[Ranking]) -> list[Verdict]:
    verdicts = []
    for ranking in rankings:
        claimed = {"demo": WITH_DB, "idle": IDLE}.get(ranking.condition.scenario)
        found = ranking.order(SATURATION, blog=True, among=claimed)
        if claimed is None or len(found.frameworks) < 2:
            continue
        if found.matches(claimed):
            reproduces = "yes"
        elif found.matches_within_noise(claimed):
            reproduces = "within noise"
        else:
            reproduces = "no"
        verdicts.append(Verdict(ranking.condition, claimed, found, reproduces))
    return verdicts


def _idle_ahead(rankings: Iterable[Ranking]) -> float | None:
    idle = next((r for r in rankings if r.condition.scenario == "idle"), None)
    flask = idle.app("flask", blog=True) if idle else None
    if idle is None or flask is None or flask.saturation is None:
        return None
    asyncio = [
        f.median
        for name in ("starlette", "fastapi")
        if (a := idle.app(name, blog=True)) and (f := a.saturation)
    ]
    return max(asyncio) / flask.saturation.median if asyncio else None


def _probes(blog: Path, frameworks: dict[str, str]) -> list[Probe]:
    """Each app over every phase (each phase starts it afresh): its first and next answers
    summed (requests, failed) with the slowest, its bodies summed, its most connections."""
    phases: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(blog.glob(PROBES.format("*"))):
        for target, probe in json.loads(path.read_text())["apps"].items():
            phases.setdefault(target, []).append(probe)
    return [
        Probe(
            target=target,
            framework=frameworks.get(target, target),
            first=_bursts([p["first"] for p in found]),
            warm=_bursts([p["warm"] for p in found]),
            sampled=sum(p["sampled"] for p in found),
            with_rows=sum(p["with_rows"] for p in found),
            contract_rows=sum(p["contract_rows"] for p in found),
            example=next((p["example"] for p in found if p["example"]), ""),
            connections_peak=max(p.get("connections_peak", -1) for p in found),
        )
        for target, found in phases.items()
    ]


def _bursts(bursts: Sequence[dict[str, float]]) -> dict[str, float]:
    return {
        "starts": len(bursts),
        "requests": sum(b["requests"] for b in bursts),
        "failed": sum(b["failed"] for b in bursts),
        "median_ms": statistics.median(b["median_ms"] for b in bursts),
        "slowest_ms": max(b["slowest_ms"] for b in bursts),
    }


_PROBE_FIELDS = (
    "first",
    "warm",
    "sampled",
    "with_rows",
    "contract_rows",
    "example",
    "connections_peak",
)


def _ladder(path: Path, frameworks: dict[str, str]) -> list[LadderRow]:
    wanted = {*frameworks, *frameworks.values()}
    return [
        LadderRow(
            r["target"],
            r["connections"],
            r["rps"],
            r["failures"],
            r["timeouts"],
            r["db_connections_peak"],
            r["bodies"],
        )
        for r in json.loads(path.read_text())["summary"]
        if r["target"] in wanted and r["path"] == "/demo"
    ]


def _ladder_when(path: Path) -> str:
    return str(json.loads(path.read_text()).get("started", ""))[:10]
