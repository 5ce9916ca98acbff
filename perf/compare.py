"""``nox -s bench``: the whole comparison on one machine, start to report.

Glue between the kit (``contract/``: a throw-away database, services started by their
Dockerfile ``CMD``, the delaying proxy) and the load generator (``python -m loadtest``), run as
``python -m perf.compare`` from the repository root; the installable ``loadtest`` package never
imports the kit (its image stands alone). Steps:

1. a scratch database on ``DATABASE_URL``'s server, or on a throw-away one, seeded by
   ``python -m loadtest seed``; the kit's ``DelayProxy`` in a process of its own (its CPU time
   its own, its cost at +0 ms measured once), used only for an added database latency: at
   +0 ms the services reach the database directly;
2. the services by their Dockerfile commands, each with a SELECT-only login, pinned to the
   service core(s); the database, the proxy and the generator pinned to the other core(s)
   (the load side), so no part of the instrument runs where a service does; each row's pool
   fitted to its latency by the pool rule (``pool_rule.py``), the services restarted when the
   pool or the path (the proxy entering or leaving it) changes;
3. per database latency (the proxy's delay), a plan (``loadtest.settings.Plan``) handed to
   ``python -m loadtest run PLAN``: wrk the generator, every service's process tree, the
   database and the proxy measured; the later phases start from the first phase's knees and
   take its calibration;
4. ``python -m loadtest report`` over the results, with the section "Why the blog said
   otherwise" (``perf/reconcile``: under ``--full`` the blog's four apps are measured after
   each phase's templates, in its conditions; the default run leaves them out, for time);
   print the report's path.

The results are written to a temporary folder and moved under ``results/`` only once the run
has finished: a run that fails leaves nothing there. Interrupted (Ctrl-C, SIGTERM), it stops
every process it started and removes its files first.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loadtest.analysis import failed_searches
from loadtest.results import RunResults
from loadtest.settings import (
    SCENARIOS,
    Plan,
    RunSettings,
    Target,
    add_options,
)

from contract.database import provide_database
from contract.fixtures import seed_rows
from contract.process import stop_group
from contract.services import discover, run_with_login
from perf.delay import ProxyProcess, injector_meta, lookup_ms
from perf.placement import cpu_list, listener_pid, pin, split_cpus
from perf.pool_rule import LEAD, Phase, first_knees, fit_pool
from perf.reconcile import markdown as blog_section
from perf.reconcile import run as blog
from perf.staging import staged_results

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from contract.database import Database
    from contract.services import RunningService, ServiceSpec
    from perf.bench.targets import Target as PerfTarget

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "bench"
README = ROOT / "README.md"
# The question the project answers: which concurrency model each target stands for.
STACKS = {spec.name: spec.model for spec in discover()}
COMMAND_TIMEOUT = 3600  # seconds for one `loadtest run`; the plans below need a fraction of it
STOP_TIMEOUT = 30  # seconds an interrupted `loadtest` has to clean up before it is killed


@dataclass(frozen=True)
class Bench:
    """How much, how often, how long: the runs' settings (scenarios apart) and the phases.

    The first phase searches from each service's probe; every later one starts from the first
    phase's knee of the same service and scenario (no probe, no ladder)."""

    settings: RunSettings
    phases: tuple[Phase, ...]

    def estimate_seconds(self, services: int) -> float:
        return sum(
            replace(self.settings, scenarios=phase.scenarios).estimate_seconds(
                services, hinted=number > 0, calibrated=number > 0
            )
            for number, phase in enumerate(self.phases)
        )


QUESTIONS = (Phase(0, SCENARIOS), Phase(1, (LEAD,)), Phase(5, (LEAD,)))
# One machine: wrk, open loop and cheap (loadtest/README.md, "One-machine generator").
SHORT = RunSettings(window_s=2.0, settle_s=0.3, warmup_s=0.5, max_steps=8, generator="wrk")
DEFAULT = Bench(SHORT, QUESTIONS)
QUICK = Bench(
    replace(SHORT, rows=10_000, repeats=1, window_s=0.5, settle_s=0.25, warmup_s=0.25,
            resolution=0.25, max_steps=5),
    QUESTIONS,
)  # fmt: skip
FULL = Bench(
    SHORT,
    (
        *(Phase(latency, SCENARIOS) for latency in (0, 1, 5)),
        *(Phase(latency, (LEAD,), pool) for pool in (5, 20, 50) for latency in (1, 5)),
    ),
)


def loadtest(*args: str, env: dict[str, str] | None = None) -> str:
    """Run ``python -m loadtest ARGS``, its progress on our stderr; return its stdout.

    In a process group of its own, which an interruption stops as a whole by SIGINT: loadtest
    then stops wrk and its calibration target and removes its files, as on Ctrl-C.
    """
    command = [sys.executable, "-m", "loadtest", *args]
    environ = {**os.environ, **(env or {})}
    with subprocess.Popen(
        command, env=environ, stdout=subprocess.PIPE, start_new_session=True
    ) as process:
        try:
            output: bytes = process.communicate(timeout=COMMAND_TIMEOUT)[0]
        finally:
            stop_group(process, STOP_TIMEOUT, signal.SIGINT)  # nothing to do once it has exited
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command, output)
    return output.decode().strip()


@contextmanager
def services_running(
    specs: Sequence[ServiceSpec],
    *,
    database: Database,
    proxy_port: int | None,
    pool_size: int,
    cpus: set[int],
    log_dir: Path,
) -> Iterator[list[RunningService]]:
    """Every service, started at once, each reaching the database through the proxy on
    ``proxy_port``, or directly when None."""
    with ExitStack() as stack:
        running = []
        env = {"WEB_CONCURRENCY": str(len(cpus)), "DB_POOL_SIZE": str(pool_size)}
        for spec in specs:
            service, _ = stack.enter_context(
                run_with_login(
                    spec, database, via=None if proxy_port is None else ("127.0.0.1", proxy_port),
                    env=env, cpus=cpus,
                    log_dir=log_dir,
                )
            )  # fmt: skip
            running.append(service)
        yield running


def parse(argv: Sequence[str] | None) -> tuple[argparse.Namespace, Bench]:
    parser = argparse.ArgumentParser(prog="nox -s bench --", description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="a smoke run of about 3 minutes (CI)")
    size.add_argument(
        "--full",
        action="store_true",
        help="every scenario at every latency, pools of 5, 10, 20, 50 at +1 and +5 ms, and the "
        "blog's four apps (perf/reconcile/run.py)",
    )
    parser.add_argument(
        "--publish",
        action="store_true",
        help="write the report under docs/bench/ and regenerate the README's answer block",
    )
    parser.add_argument("--rows", type=int, help="rows to seed (default 1,000,000; quick 10,000)")
    parser.add_argument("--repeats", type=int, help="rounds per measurement")
    parser.add_argument("--window", type=float, help="seconds measured per step")
    parser.add_argument(
        "--slo-ms", type=float, default=RunSettings.slo_ms, help="the p99 bound of a sustained step"
    )
    add_options(parser, ("pool_headroom",))  # the pool rule's, as `loadtest run` documents it
    parser.add_argument(
        "--service", action="append",
        help="measure only these (repeatable; with --full, blog-django etc. name the blog's apps)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=ROOT / "results", help="results root")
    args = parser.parse_args(argv)
    if args.publish and (args.quick or args.service or args.rows or args.repeats or args.window):
        parser.error("--publish takes a whole default or --full run, nothing trimmed")
    base = QUICK if args.quick else FULL if args.full else DEFAULT
    given = {"rows": args.rows, "repeats": args.repeats, "window_s": args.window}
    settings = replace(
        base.settings,
        **{k: v for k, v in given.items() if v},
        slo_ms=args.slo_ms,
        pool_headroom=float(args.pool_headroom),
    )
    return args, replace(base, settings=settings)


def main(argv: Sequence[str] | None = None) -> int:
    args, plan = parse(argv)
    command = "nox -s bench" + (" -- " + " ".join(argv) if argv else "")
    service_cpus, generator_cpus = split_cpus()
    names, blog_apps = blog.select(args.service, full=args.full)
    specs = discover(names) if names != [] else []
    started = time.monotonic()
    estimate = plan.estimate_seconds(len(specs)) + plan.settings.estimate_seconds(
        sum(len(blog.theirs(p.db_latency_ms, p.pool_size is not None, p.scenarios))
            for p in plan.phases) * len(blog_apps)
    )  # fmt: skip
    settings = plan.settings
    say(
        f"{len(specs)} services and {len(blog_apps)} of the blog's apps on CPU "
        f"{cpu_list(service_cpus)}, the load generator on CPU {cpu_list(generator_cpus)}; "
        f"{settings.rows:,} rows; {len(plan.phases)} phase(s) of {settings.repeats} round(s), "
        f"{settings.window_s:g} s windows: about "
        f"{estimate / 60:.0f} min of measuring (by arithmetic), plus seeding and start-ups"
    )
    with staged_results(args.out) as staging:
        out = staging.path
        cpus = (service_cpus, generator_cpus)
        results = _measure(plan, specs, out, command=command, cpus=cpus, blog_apps=blog_apps)
        report = Path(loadtest("report", *map(str, results), "--out", str(out)) if results else
                      out / "report.md")  # fmt: skip
        blog_section.append(report, results, out / blog.FOLDER)
        problems = failed_searches([RunResults.read(path) for path in results])
        if problems:
            # Measured, but not a comparison to keep: show why, keep nothing under results/.
            kept = Path(tempfile.mkdtemp(prefix="bench-failed-"))
            shutil.copytree(out, kept, dirs_exist_ok=True)
            say("\n  ".join(["failed:", *problems]))
            print(f"bench: this run's report, kept outside results/: {kept / report.name}")
            raise FailedRunError
    assert staging.final is not None
    final = staging.final
    say(f"done in {(time.monotonic() - started) / 60:.1f} min")
    if args.publish:
        _publish(final)
    print(final / report.name)
    return 0


class FailedRunError(Exception):
    """The run measured, but some search failed: exit 1 with nothing left under results/."""


def say(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def _measure(
    plan: Bench,
    specs: Sequence[ServiceSpec],
    out: Path,
    *,
    command: str,
    cpus: tuple[set[int], set[int]],
    blog_apps: Sequence[PerfTarget] = (),
) -> list[Path]:
    results: list[Path] = []
    with provide_database(prefix="bench") as database:
        seed_rows(database, plan.settings.rows, fixtures=False)
        server_version = str(database.execute("SELECT VERSION()")[0][0])
        database_pid = listener_pid(database.server.host, database.server.port)
        if database_pid:
            pin(database_pid, cpus[1])
        proxy = ProxyProcess((database.server.host, database.server.port))
        pin(proxy.pid, cpus[1])
        injector = injector_meta(database, proxy)
        say(f"the delaying proxy at +0 ms: {injector}")
        knees: dict[str, float] = {}  # TARGET/SCENARIO -> the first phase's median capacity
        calibration: list[dict[str, Any]] = []  # the first phase's: the same load side
        try:
            with ExitStack() as services:
                running: list[RunningService] = []
                started: tuple[int, bool] | None = None
                for number, phase in enumerate(plan.phases, 1):
                    proxied = phase.db_latency_ms > 0  # at +0 ms no proxy: no hop not asked for
                    proxy.set_delay(phase.db_latency_ms / 1000)
                    pool = fit_pool(
                        plan.settings, phase, knees, lookup_ms(database, proxy if proxied else None)
                    )
                    if (pool.size, proxied) != started:  # restart: the pool or the path changed
                        services.close()
                        running = services.enter_context(
                            services_running(
                                specs, database=database, pool_size=pool.size, cpus=cpus[0],
                                proxy_port=proxy.port if proxied else None, log_dir=out,
                            )
                        )  # fmt: skip
                        started = (pool.size, proxied)
                    say(
                        f"phase {number} of {len(plan.phases)}: {', '.join(phase.scenarios)} "
                        f"with +{phase.db_latency_ms:g} ms per database round trip, {pool}"
                    )
                    watch = {"proxy": proxy.pid if proxied else None, "database": database_pid}
                    meta = {"database": server_version, "command": command, **injector}
                    run = _run_plan(plan, phase, running, cpus, watch, meta)
                    labels = {**run.labels, **pool.labels()}
                    run = replace(run, labels=labels, starts=knees, calibration=calibration)
                    file = out / f"plan-{number}.json"
                    file.write_text(run.to_json())
                    if running:  # none in a run of the blog's apps alone
                        results.append(Path(loadtest("run", str(file), f"--out={out}")))
                    via = ("127.0.0.1", proxy.port) if proxied else None
                    blog.measure_phase(
                        blog_apps, number, run, database, via, out,
                        lambda path: Path(loadtest("run", str(path), f"--out={path.parent}")),
                    )  # fmt: skip
                    if number == 1 and results:
                        first = RunResults.read(results[-1])
                        knees, calibration = first_knees(first), first.calibration
        finally:
            proxy.close()
    return results


def _run_plan(  # noqa: PLR0917
    plan: Bench,
    phase: Phase,
    running: Sequence[RunningService],
    cpus: tuple[set[int], set[int]],
    watch: dict[str, int | None],
    meta: dict[str, str],
) -> Plan:
    """The runner's plan of one phase: every service a target, pinned, labelled; the other
    processes watched (when this machine runs them), the run's facts noted."""
    service_cpus, generator_cpus = cpus
    settings = replace(
        plan.settings,
        scenarios=phase.scenarios,
        cpus=cpu_list(generator_cpus),
        processes=1,
    )
    targets = tuple(
        Target(s.name, s.url, pids=(s.pid,), cpu_allowance=len(service_cpus)) for s in running
    )
    labels = {
        "db_latency_ms": f"{phase.db_latency_ms:g}",
        "web_concurrency": str(len(service_cpus)),
    }
    meta = {**meta, "service_cpus": cpu_list(service_cpus)}
    for service in running:
        meta[f"stack.{service.name}"] = STACKS.get(service.name, "other")
        meta[f"command.{service.name}"] = " ".join(service.spec.command)
    known: dict[str, tuple[int, ...]] = {name: (pid,) for name, pid in watch.items() if pid}
    return Plan(settings, targets, known, labels, meta)


def _publish(final: Path) -> None:
    """The run's results and report under docs/bench/, and the README's answer block."""
    if DOCS.exists():
        shutil.rmtree(DOCS)
    DOCS.mkdir(parents=True)
    results = sorted(final.glob("loadtest-*.json"))
    for path in results:
        shutil.copy2(path, DOCS / path.name)
    published = [str(DOCS / path.name) for path in results]
    report = loadtest("report", *published, "--out", str(DOCS), "--readme", str(README))
    if (final / blog.FOLDER).is_dir():
        shutil.copytree(final / blog.FOLDER, DOCS / blog.FOLDER)
    blog_section.append(Path(report), [Path(p) for p in published], DOCS / blog.FOLDER)
    say(f"published under {DOCS.relative_to(ROOT)}/ and in README.md")


if __name__ == "__main__":
    # SIGTERM (nox after its interrupt_timeout, a CI job's timeout) unwinds as Ctrl-C does, every
    # `with` stopping what it started. SIGINT set too: a job a script starts in the background
    # inherits it ignored, and would go on.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.default_int_handler)
    try:
        sys.exit(main(sys.argv[1:]))
    except FailedRunError:
        sys.exit(1)
    except KeyboardInterrupt:
        say("interrupted: every process the run started stopped, its files removed, nothing kept")
        sys.exit(130)
