"""The blog's four apps (``perf/blog/``), measured in the same bench run as the templates.

Under ``--full`` (or ``--full --service blog-flask``), after each phase's templates and in that
phase's conditions (the same database, seeded table, proxy delay, generator, settings and
CPUs), the blog's apps are started by the commands perf's ladder uses (each in its own pinned
environment, one worker pinned to one service core, as the blog's code is one process), then:

1. **first answers**: 64 concurrent ``/demo`` requests (the probe's users) as the very first
   database work the app gets, then 64 more: the blog's FastAPI and Starlette connect lazily,
   inside the first request; then ``/demo`` answers sampled until some carry rows, each
   checked for the contract's row shape (the blog's asyncio apps send ``str(Record)``);
2. **the runner**: ``python -m loadtest run`` on a plan of the blog's apps alone (its ``/demo``
   and, with no latency added, ``/idle``: the blog's two tests; its apps take no name, so no
   ``demo-hit``), while each app's database connections are counted (the server's own count,
   one login per app): the blog's pools hold up to 10,000.

Its results go to ``blog/`` under the run's folder, apart from the templates', so the verdict
never reads them; its failures are findings for the report, never a failed run. Each results
file says which template each app corresponds to: ``blog.<target>`` in its environment.
"""

from __future__ import annotations

import json
import statistics
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import httpx
from loadtest.settings import Plan
from loadtest.settings import Target as LoadTarget

from contract.client import burst as kit_burst
from contract.peak import ConnectionPeak
from contract.services import run_with_login
from perf.bench.checks import rows_shape_ok
from perf.bench.targets import BLOG_LAYERS, build_targets

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from contract.database import Database
    from perf.bench.targets import Target

NAMES = tuple(f"blog-{framework}" for framework in BLOG_LAYERS)
SCENARIOS = ("demo", "idle")  # the blog's two tests ("idle" only with no latency added)
FOLDER = "blog"  # under the run's results folder
META = "blog."  # blog.<target> = the template of the app's framework, in the results
PROBES = "probes-{}.json"  # the first answers and the connections, per phase
BURST = 64  # concurrent first requests: as many as the saturation probe's users
SAMPLES, WANTED_ROWS, SAMPLE_S = 2000, 5, 30.0  # /demo answers sampled: at most, enough, time
TIMEOUT_S = 30.0


def select(services: Sequence[str] | None, *, full: bool) -> tuple[list[str] | None, list[Target]]:
    """The template targets named (None: every one) and the blog's apps to measure: all four
    under ``--full``, or those named with ``--service``."""
    named = list(services or ())
    blog = [name for name in NAMES if name in named] if named else list(NAMES) * full
    if blog and not full:
        raise SystemExit("the blog's apps are measured under --full only (nox -s bench -- --full)")
    templates = [name for name in named if name not in NAMES] if named else None
    return templates, build_targets(blog) if blog else []


@dataclass(frozen=True)
class Burst:
    """Concurrent ``/demo`` requests: how many failed, and their times (ms)."""

    requests: int
    failed: int
    median_ms: float
    slowest_ms: float


@dataclass(frozen=True)
class Bodies:
    """``/demo`` answers sampled: how many carried rows, how many of those in the contract's
    shape, and the first that was not (its start)."""

    sampled: int
    with_rows: int
    contract_rows: int
    example: str


def burst(base_url: str, count: int = BURST) -> Burst:
    """``count`` concurrent GETs of ``/demo``, each on a connection of its own (the kit's
    burst, a request without an answer counted as failed)."""
    answers = kit_burst(base_url, ["/demo"] * count, TIMEOUT_S, raise_errors=False)
    times = [answer.seconds * 1000 for answer in answers]
    failed = sum(answer.status != 200 for answer in answers)
    return Burst(count, failed, round(statistics.median(times), 1), round(max(times), 1))


def sample_bodies(url: str) -> Bodies:
    """``/demo`` answers, one at a time, until ``WANTED_ROWS`` carried rows (or the bounds)."""
    sampled = with_rows = contract = 0
    example = ""
    deadline = time.monotonic() + SAMPLE_S
    with httpx.Client(timeout=TIMEOUT_S) as client:
        while sampled < SAMPLES and with_rows < WANTED_ROWS and time.monotonic() < deadline:
            sampled += 1
            try:
                rows = client.get(url).json()
            except (httpx.HTTPError, ValueError):
                continue
            if not isinstance(rows, list) or not rows:
                continue
            with_rows += 1
            if rows_shape_ok(rows):
                contract += 1
            elif not example:
                example = json.dumps(rows)[:72]
    return Bodies(sampled, with_rows, contract, example)


def measure_phase(  # noqa: PLR0917
    apps: Sequence[Target],
    number: int,
    base: Plan,
    database: Database,
    via: tuple[str, int] | None,
    out: Path,
    run: Callable[[Path], Path],
) -> Path | None:
    """The blog's apps under the conditions of ``base`` (the phase's plan of the templates):
    their first answers, then ``run`` (``python -m loadtest run PLAN``) on their own plan;
    returns its results file (None when the phase is none of theirs: another pool size)."""
    scenarios = scenarios_of(base)
    if not apps or not scenarios:
        return None
    folder = out / FOLDER
    folder.mkdir(exist_ok=True)
    core = {int(base.meta["service_cpus"].split(",")[0])}  # one worker, one core
    probes: dict[str, dict[str, Any]] = {}
    with ExitStack() as stack:
        running = []
        for app in apps:
            service, login = stack.enter_context(
                run_with_login(
                    app.spec, database, via=via, port=app.port, cpus=core,
                    wait_path="/idle", log_dir=out,
                )
            )  # fmt: skip
            running.append((app, service, login.user))
            first, warm = burst(service.url), burst(service.url)
            bodies = sample_bodies(service.url + "/demo")
            probes[app.name] = {"first": asdict(first), "warm": asdict(warm), **asdict(bodies)}
        plan = blog_plan(base, [(app, service.url, service.pid) for app, service, _ in running])
        plan = replace(plan, settings=replace(plan.settings, scenarios=scenarios))
        file = folder / f"plan-{number}.json"
        file.write_text(plan.to_json())
        with ExitStack() as counting:
            peaks = {
                app.name: counting.enter_context(ConnectionPeak(database, user))
                for app, _, user in running
            }
            results = run(file)
        for name, peak in peaks.items():
            probes[name]["connections_peak"] = peak.peak
    document = {"db_latency_ms": float(base.labels["db_latency_ms"]), "apps": probes}
    (folder / PROBES.format(number)).write_text(json.dumps(document, indent=1) + "\n")
    return results


def scenarios_of(base: Plan) -> tuple[str, ...]:
    """The blog's tests among a phase's (its plan of the templates) scenarios."""
    latency, swept = base.labels.get("db_latency_ms", "0"), base.labels.get("db_pool_rule")
    return theirs(float(latency), swept == "swept", base.settings.scenarios)


def theirs(latency_ms: float, swept: bool, scenarios: Sequence[str]) -> tuple[str, ...]:
    """The blog's tests among ``scenarios``: none in a pool sweep's phase (its apps have no
    pool to size), ``idle`` only with no latency added (it has no database)."""
    if swept:
        return ()
    return tuple(s for s in scenarios if s in (SCENARIOS if not latency_ms else ("demo",)))


def blog_plan(base: Plan, running: Sequence[tuple[Target, str, int]]) -> Plan:
    """``base`` (a phase's plan of the templates) with the blog's apps as its targets: one
    core's allowance each, their stacks and their templates noted (``blog.<target>``)."""
    meta = {k: v for k, v in base.meta.items() if not k.startswith(("stack.", "command."))}
    for app, _, _ in running:
        meta |= {
            f"stack.{app.name}": app.role.stack,
            f"{META}{app.name}": app.role.framework or "",
            f"command.{app.name}": " ".join(app.spec.command),
        }
    targets = tuple(
        LoadTarget(app.name, url, pids=(pid,), cpu_allowance=1) for app, url, pid in running
    )
    labels = {**base.labels, "web_concurrency": "1"}
    return replace(base, targets=targets, labels=labels, meta=meta)
