"""``python -m loadtest {seed,run,worker,report}``: argparse, with ``LOADTEST_*`` env defaults.

As in locust (``docs/configuration.rst``), an option given on the command line wins over its
environment variable, which wins over the default; ``--help`` names each variable. Heavy
modules are imported by the command that needs them: ``run`` and ``worker`` import locust,
whose gevent monkey-patching must not leak into ``seed`` or ``report``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from loadtest import __version__
from loadtest.names import DEFAULT_SEED

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loadtest.runner import Target

DEFAULT_ROWS = 1_000_000  # the blog's table size


def _env(name: str, default: str | None) -> str | None:
    return os.environ.get(name, default)


def _add(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    *flags: str,
    env: str,
    default: str | None,
    help: str,
    **kwargs: object,
) -> None:
    """An option whose default comes from ``env`` (argparse applies ``type`` to it)."""
    shown = f" [env {env}; default {default}]" if default is not None else f" [env {env}]"
    parser.add_argument(*flags, default=_env(env, default), help=help + shown, **kwargs)  # type: ignore[arg-type]


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def _pairs(
    group: argparse._ArgumentGroup, flag: str, metavar: str, help: str, env: str | None = None
) -> None:
    """A repeatable NAME=VALUE option (space-separated in ``env``, when it has one)."""
    shown = f" [env {env}, space-separated]" if env else ""
    group.add_argument(
        flag, action="append", type=_pair, default=[], metavar=metavar, help=help + shown
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest",
        description="Seed the blog's table, load-test the services with locust, report.",
    )
    parser.add_argument("--version", action="version", version=f"loadtest {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _seed_parser(commands)
    _run_parser(commands)

    worker = commands.add_parser(
        "worker", help="a locust worker for a `run --expect-workers` master"
    )
    _add(
        worker,
        "--master-host",
        env="LOADTEST_MASTER_HOST",
        default="127.0.0.1",
        help="the master's address",
    )
    _add(
        worker,
        "--master-port",
        env="LOADTEST_MASTER_PORT",
        default="5557",
        type=int,
        help="the master's port",
    )
    _add(worker, "--loglevel", env="LOADTEST_LOGLEVEL", default="INFO", help="log level")

    report = commands.add_parser("report", help="Markdown and PNG charts from results files")
    report.add_argument(
        "results", nargs="+", type=Path, metavar="RESULTS", help="results files of `run`"
    )
    report.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output directory (default: the first file's directory)",
    )
    report.add_argument(
        "--readme",
        type=Path,
        default=None,
        help="also regenerate this Markdown file's answer block (between <!-- answer:begin --> "
        "and <!-- answer:end -->, inserted under the title if missing), linking the report",
    )
    return parser


def _seed_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    seed = commands.add_parser("seed", help="create and fill demo_data (DATABASE_URL)")
    _add(
        seed,
        "--rows",
        env="LOADTEST_ROWS",
        default=str(DEFAULT_ROWS),
        type=int,
        help="rows the table must hold",
    )
    _add(
        seed,
        "--seed",
        env="LOADTEST_SEED",
        default=str(DEFAULT_SEED),
        type=int,
        help="random seed of the names",
    )
    seed.add_argument(
        "--replace", action="store_true", help="truncate and reload a table that holds other rows"
    )
    _add(
        seed,
        "--method",
        env="LOADTEST_SEED_METHOD",
        default="auto",
        choices=["auto", "load-data", "insert"],
        help="LOAD DATA LOCAL INFILE, multi-row INSERTs, or the first that the server takes",
    )
    seed.add_argument("--no-progress", action="store_true", help="no progress bar")


def _run_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser(
        "run",
        help="find each target's capacity at a latency SLO, write a results file",
        description="For every round, target and scenario: a saturation probe, then offered "
        "rates stepped by locust (paced users) until the highest rate sustained with p99 within "
        "the SLO is bracketed. See README.md, 'How a capacity is found'.",
    )
    what = run.add_argument_group("what to measure")
    what.add_argument(
        "--target",
        action="append",
        type=_pair,
        metavar="NAME=URL",
        help="a service to measure, repeatable; each round takes them in turn, starting one "
        "further along each round [env LOADTEST_TARGETS, space-separated]",
    )
    what.add_argument(
        "--scenario",
        action="append",
        metavar="NAME",
        help="demo, demo-hit or idle; repeatable [env LOADTEST_SCENARIOS, "
        "space-separated; default all three]",
    )
    _pairs(
        what,
        "--label",
        "KEY=VALUE",
        "a condition of this run, recorded with each search (the bench passes db_latency_ms, "
        "db_pool_size, web_concurrency); the report says what a run did not label; repeatable",
    )

    method = run.add_argument_group("the method")
    _add(
        method,
        "--slo-ms",
        env="LOADTEST_SLO_MS",
        default="50",
        type=float,
        help="a step is sustained only if its p99 is at most this many milliseconds",
    )
    _add(
        method,
        "--max-error-rate",
        env="LOADTEST_MAX_ERROR_RATE",
        default="0.001",
        type=float,
        help="... and at most this fraction of its requests failed",
    )
    _add(
        method,
        "--min-achieved",
        env="LOADTEST_MIN_ACHIEVED",
        default="0.98",
        type=float,
        help="... and its achieved rate is at least this fraction of the offered one",
    )
    _add(
        method,
        "--repeats",
        env="LOADTEST_REPEATS",
        default="3",
        type=int,
        help="rounds: each measures every target and scenario once, interleaved",
    )
    _add(
        method,
        "--window",
        env="LOADTEST_WINDOW",
        default="10",
        type=float,
        help="seconds measured per step",
    )
    _add(
        method,
        "--settle",
        env="LOADTEST_SETTLE",
        default="2",
        type=float,
        help="seconds at each new offered rate before its window opens (not counted)",
    )
    _add(
        method,
        "--warmup",
        env="LOADTEST_WARMUP",
        default="5",
        type=float,
        help="seconds of the probe's load before its window opens (not counted)",
    )
    _add(
        method,
        "--probe-users",
        env="LOADTEST_PROBE_USERS",
        default="64",
        type=int,
        help="closed-loop users of the saturation probe (no think time)",
    )
    _add(
        method,
        "--resolution",
        env="LOADTEST_RESOLUTION",
        default="0.05",
        type=float,
        help="a search stops once the first failing rate is within this fraction above the "
        "highest sustained one",
    )
    _add(
        method,
        "--max-steps",
        env="LOADTEST_MAX_STEPS",
        default="12",
        type=int,
        help="offered rates per search at most (the probe not counted)",
    )
    _add(
        method,
        "--max-rate",
        env="LOADTEST_MAX_RATE",
        default="100000",
        type=float,
        help="the search never offers more requests/s than this",
    )
    _add(
        method,
        "--user-rate",
        env="LOADTEST_USER_RATE",
        default=None,
        type=float,
        help="requests/s each paced user offers (default: one per max(100 ms, 2 x SLO), so a "
        "response within the SLO never delays the next)",
    )
    method.add_argument(
        "--rate",
        action="append",
        type=float,
        default=[],
        metavar="REQ_PER_S",
        help="measure exactly these offered rates, in order, instead of the probe and the "
        "search; repeatable [env LOADTEST_RATES, space-separated]",
    )
    _add(
        method,
        "--generator-bound-at",
        env="LOADTEST_GENERATOR_BOUND_AT",
        default="0.9",
        type=float,
        help="generator CPU share from which a step is marked generator-bound",
    )

    cpu = run.add_argument_group("CPU of the targets")
    _pairs(
        cpu,
        "--cpu-allowance",
        "NAME=CORES",
        "the CPU budget of target NAME (its cores or its limit): capacity per core is "
        "capacity / CORES; repeatable",
    )
    _pairs(
        cpu,
        "--pid",
        "NAME=PID",
        "a local process of target NAME whose CPU time (with its children's) each window "
        "records; repeatable",
    )
    _pairs(
        cpu,
        "--cpu-from",
        "NAME=SOURCE",
        "where target NAME's CPU comes from when it is not a local process: "
        "k8s:NAMESPACE/LABEL-SELECTOR reads the Kubernetes metrics API (metrics.k8s.io/v1beta1 "
        "pods) with the pod's service-account token; repeatable",
    )
    _pairs(
        cpu,
        "--watch",
        "NAME=PID",
        "another local process (the database, a proxy) whose CPU time each window records; "
        "repeatable",
    )

    topology = run.add_argument_group("where the users run")
    _add(
        topology,
        "--processes",
        env="LOADTEST_PROCESSES",
        default="1",
        type=int,
        help="local locust processes: 1 runs users in this process, N > 1 starts N workers",
    )
    _add(
        topology,
        "--expect-workers",
        env="LOADTEST_EXPECT_WORKERS",
        default="0",
        type=int,
        help="be a master and wait for this many external `worker` processes",
    )
    _add(
        topology,
        "--expect-workers-max-wait",
        env="LOADTEST_EXPECT_WORKERS_MAX_WAIT",
        default="300",
        type=float,
        help="seconds to wait for them",
    )
    _add(
        topology,
        "--master-bind-host",
        env="LOADTEST_MASTER_BIND_HOST",
        default="*",
        help="interface the master listens on for external workers",
    )
    _add(
        topology,
        "--master-bind-port",
        env="LOADTEST_MASTER_BIND_PORT",
        default="5557",
        type=int,
        help="port the master listens on for external workers",
    )
    _add(
        topology,
        "--cpus",
        env="LOADTEST_CPUS",
        default=None,
        help="pin the load generator to these CPUs, e.g. 1 or 2-3",
    )

    data = run.add_argument_group("what the database holds")
    _add(
        data,
        "--seed",
        env="LOADTEST_SEED",
        default=str(DEFAULT_SEED),
        type=int,
        help="the seeder's --seed (demo-hit regenerates names from it)",
    )
    _add(
        data,
        "--rows",
        env="LOADTEST_ROWS",
        default=str(DEFAULT_ROWS),
        type=int,
        help="the seeder's --rows",
    )
    _add(
        data,
        "--hit-names",
        env="LOADTEST_HIT_NAMES",
        default="10000",
        type=int,
        help="demo-hit draws from the first this many seeded names",
    )

    output = run.add_argument_group("output")
    _pairs(output, "--meta", "KEY=VALUE", "a fact recorded in the results' environment; repeatable")
    _add(
        output,
        "--out",
        env="LOADTEST_OUT",
        default="results",
        type=Path,
        help="directory for the results file",
    )
    _add(output, "--loglevel", env="LOADTEST_LOGLEVEL", default="INFO", help="log level")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    match args.command:
        case "seed":
            return _seed(args)
        case "run":
            return _run(args)
        case "worker":
            return _worker(args)
        case _:
            return _report(args)


def _seed(args: argparse.Namespace) -> int:
    from loadtest.seed import Method, SeedConflictError, seed_table

    url = os.environ.get("DATABASE_URL")
    if not url:
        print("seed: set DATABASE_URL=mysql://user:password@host:port/database", file=sys.stderr)
        return 2
    try:
        outcome = seed_table(
            url,
            args.rows,
            seed=args.seed,
            replace=args.replace,
            method=Method(args.method),
            progress=not args.no_progress,
        )
    except SeedConflictError as error:
        print(f"seed: {error}", file=sys.stderr)
        return 1
    if outcome.loaded:
        print(f"seed: loaded {outcome.rows} rows ({outcome.method}) in {outcome.seconds:.1f} s")
    else:
        print(f"seed: demo_data already holds the {outcome.rows} rows of seed {args.seed}")
    return 0


def _run(args: argparse.Namespace) -> int:
    if args.cpus:
        from loadtest.cpu import parse_cpu_list

        # Before locust starts anything: local worker processes inherit the affinity.
        os.sched_setaffinity(0, parse_cpu_list(args.cpus))
    from locust.log import setup_logging

    from loadtest import runner
    from loadtest.k8s import MetricsError

    setup_logging(args.loglevel)  # type: ignore[no-untyped-call]  # locust's, unannotated
    try:
        targets = _targets(args)
        rates = args.rate or [float(r) for r in os.environ.get("LOADTEST_RATES", "").split()]
        scenarios = args.scenario or os.environ.get("LOADTEST_SCENARIOS", "").split() or None
        method = runner.Method(
            slo_ms=args.slo_ms,
            max_error_rate=args.max_error_rate,
            min_achieved=args.min_achieved,
            repeats=args.repeats,
            window=args.window,
            settle=args.settle,
            warmup=args.warmup,
            probe_users=args.probe_users,
            resolution=args.resolution,
            max_steps=args.max_steps,
            max_rate=args.max_rate,
            user_rate=args.user_rate,
            rates=tuple(rates),
            generator_bound_at=args.generator_bound_at,
            **({"scenarios": tuple(scenarios)} if scenarios else {}),
        )
        path = runner.run(
            targets,
            method=method,
            topology=runner.Topology(
                processes=args.processes,
                expect_workers=args.expect_workers,
                master_bind_host=args.master_bind_host,
                master_bind_port=args.master_bind_port,
                expect_workers_max_wait=args.expect_workers_max_wait,
            ),
            seeded=runner.Seeded(seed=args.seed, rows=args.rows, hit_names=args.hit_names),
            out=args.out,
            watch=_grouped(args.watch),
            labels=dict(args.label),
            extra_environment=dict(args.meta),
        )
    except ValueError as error:  # a usage error found once the options are combined
        print(f"run: {error}", file=sys.stderr)
        return 2
    except MetricsError as error:
        print(f"run: {error}", file=sys.stderr)
        return 1
    print(path)
    return 0


def _targets(args: argparse.Namespace) -> list[Target]:
    """The targets with their CPU sources and allowances, each option checked against them."""
    from loadtest.k8s import PodSelector
    from loadtest.runner import Target

    named = args.target or [_pair(t) for t in os.environ.get("LOADTEST_TARGETS", "").split()]
    if not named:
        raise ValueError("give at least one --target NAME=URL")
    names = [name for name, _ in named]
    if len(set(names)) != len(names):
        raise ValueError(f"a target name given twice: {names}")
    pids = _grouped(args.pid)
    sources = dict(args.cpu_from)
    allowances = {}
    for name, cores in args.cpu_allowance:
        try:
            allowances[name] = float(cores)
        except ValueError:
            raise ValueError(f"--cpu-allowance {name}={cores}: not a number of cores") from None
    for option, given in (
        ("--pid", pids),
        ("--cpu-from", sources),
        ("--cpu-allowance", allowances),
    ):
        if unknown := set(given) - set(names):
            raise ValueError(f"{option} names no target: {sorted(unknown)}")
    if both := set(pids) & set(sources):
        raise ValueError(f"--pid and --cpu-from both given for {sorted(both)}")
    return [
        Target(
            name,
            url.rstrip("/"),
            pids=pids.get(name, ()),
            pods=PodSelector.parse(sources[name]) if name in sources else None,
            cpu_allowance=allowances.get(name),
        )
        for name, url in named
    ]


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, tuple[int, ...]]:
    groups: dict[str, tuple[int, ...]] = {}
    for name, pid in pairs:
        try:
            groups[name] = (*groups.get(name, ()), int(pid))
        except ValueError:
            raise ValueError(f"{name}={pid}: not a process id") from None
    return groups


def _worker(args: argparse.Namespace) -> int:
    from locust.log import setup_logging

    from loadtest import runner

    setup_logging(args.loglevel)  # type: ignore[no-untyped-call]  # locust's, unannotated
    runner.work(args.master_host, args.master_port)
    return 0


def _report(args: argparse.Namespace) -> int:
    from loadtest.report import write_readme_block, write_report

    logging.basicConfig(level=logging.WARNING)
    path = write_report(args.results, args.out or args.results[0].parent)
    if args.readme:
        write_readme_block(args.results, path, args.readme)
    print(path)
    return 0
