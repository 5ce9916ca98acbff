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

DEFAULT_ROWS = 1_000_000  # the blog's table size


def _env(name: str, default: str | None) -> str | None:
    return os.environ.get(name, default)


def _add(
    parser: argparse.ArgumentParser,
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest",
        description="Seed the blog's table, load-test the services with locust, report.",
    )
    parser.add_argument("--version", action="version", version=f"loadtest {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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

    run = commands.add_parser("run", help="measure targets with locust, write a results file")
    run.add_argument(
        "--target",
        action="append",
        type=_pair,
        metavar="NAME=URL",
        help="a service to measure, repeatable, measured in the order given "
        "[env LOADTEST_TARGETS, space-separated]",
    )
    run.add_argument(
        "--pid",
        action="append",
        type=_pair,
        default=[],
        metavar="NAME=PID",
        help="a process of target NAME whose CPU time (with its children's) "
        "is recorded; repeatable",
    )
    run.add_argument(
        "--watch",
        action="append",
        type=_pair,
        default=[],
        metavar="NAME=PID",
        help="another process (e.g. the database) whose CPU time, with its children's, "
        "each window records; repeatable",
    )
    run.add_argument(
        "--scenario",
        action="append",
        metavar="NAME",
        help="demo, demo-hit or idle; repeatable [env LOADTEST_SCENARIOS, "
        "space-separated; default all three]",
    )
    _add(
        run,
        "-u",
        "--users",
        env="LOADTEST_USERS",
        default="32",
        type=int,
        help="concurrent users (closed loop, no think time)",
    )
    _add(
        run,
        "-r",
        "--spawn-rate",
        env="LOADTEST_SPAWN_RATE",
        default="32",
        type=float,
        help="users started per second",
    )
    _add(
        run,
        "--warmup",
        env="LOADTEST_WARMUP",
        default="10",
        type=float,
        help="seconds of load before the window, not counted",
    )
    _add(
        run,
        "-t",
        "--duration",
        env="LOADTEST_DURATION",
        default="30",
        type=float,
        help="seconds of the measuring window",
    )
    _add(
        run,
        "--processes",
        env="LOADTEST_PROCESSES",
        default="1",
        type=int,
        help="local locust processes: 1 runs users in this process, N > 1 starts N workers",
    )
    _add(
        run,
        "--expect-workers",
        env="LOADTEST_EXPECT_WORKERS",
        default="0",
        type=int,
        help="be a master and wait for this many external `worker` processes",
    )
    _add(
        run,
        "--expect-workers-max-wait",
        env="LOADTEST_EXPECT_WORKERS_MAX_WAIT",
        default="300",
        type=float,
        help="seconds to wait for them",
    )
    _add(
        run,
        "--master-bind-host",
        env="LOADTEST_MASTER_BIND_HOST",
        default="*",
        help="interface the master listens on for external workers",
    )
    _add(
        run,
        "--master-bind-port",
        env="LOADTEST_MASTER_BIND_PORT",
        default="5557",
        type=int,
        help="port the master listens on for external workers",
    )
    _add(
        run,
        "--seed",
        env="LOADTEST_SEED",
        default=str(DEFAULT_SEED),
        type=int,
        help="the seeder's --seed (demo-hit regenerates names from it)",
    )
    _add(
        run,
        "--rows",
        env="LOADTEST_ROWS",
        default=str(DEFAULT_ROWS),
        type=int,
        help="the seeder's --rows",
    )
    _add(
        run,
        "--hit-names",
        env="LOADTEST_HIT_NAMES",
        default="10000",
        type=int,
        help="demo-hit draws from the first this many seeded names",
    )
    _add(
        run,
        "--generator-bound-at",
        env="LOADTEST_GENERATOR_BOUND_AT",
        default="0.9",
        type=float,
        help="generator CPU share from which a result is marked generator-bound",
    )
    _add(
        run,
        "--cpus",
        env="LOADTEST_CPUS",
        default=None,
        help="pin the load generator to these CPUs, e.g. 1 or 2-3",
    )
    run.add_argument(
        "--meta",
        action="append",
        type=_pair,
        default=[],
        metavar="KEY=VALUE",
        help="a fact recorded in the results' environment; repeatable",
    )
    _add(
        run,
        "--out",
        env="LOADTEST_OUT",
        default="results",
        type=Path,
        help="directory for the results file",
    )
    _add(run, "--loglevel", env="LOADTEST_LOGLEVEL", default="INFO", help="log level")

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
    return parser


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

    targets = args.target or [_pair(t) for t in os.environ.get("LOADTEST_TARGETS", "").split()]
    if not targets:
        print("run: give at least one --target NAME=URL", file=sys.stderr)
        return 2
    scenarios = args.scenario or os.environ.get("LOADTEST_SCENARIOS", "").split() or None
    pids, watch = _grouped(args.pid), _grouped(args.watch)
    setup_logging(args.loglevel)  # type: ignore[no-untyped-call]  # locust's, unannotated
    profile = runner.Profile(
        users=args.users,
        spawn_rate=args.spawn_rate,
        warmup=args.warmup,
        duration=args.duration,
        generator_bound_at=args.generator_bound_at,
        **({"scenarios": tuple(scenarios)} if scenarios else {}),
    )
    try:
        path = runner.run(
            [runner.Target(name, url.rstrip("/"), pids.get(name, ())) for name, url in targets],
            profile=profile,
            topology=runner.Topology(
                processes=args.processes,
                expect_workers=args.expect_workers,
                master_bind_host=args.master_bind_host,
                master_bind_port=args.master_bind_port,
                expect_workers_max_wait=args.expect_workers_max_wait,
            ),
            seeded=runner.Seeded(seed=args.seed, rows=args.rows, hit_names=args.hit_names),
            out=args.out,
            watch=watch,
            extra_environment=dict(args.meta),
        )
    except ValueError as error:  # a usage error found once the options are combined
        print(f"run: {error}", file=sys.stderr)
        return 2
    print(path)
    return 0


def _grouped(pairs: list[tuple[str, str]]) -> dict[str, tuple[int, ...]]:
    groups: dict[str, tuple[int, ...]] = {}
    for name, pid in pairs:
        groups[name] = (*groups.get(name, ()), int(pid))
    return groups


def _worker(args: argparse.Namespace) -> int:
    from locust.log import setup_logging

    from loadtest import runner

    setup_logging(args.loglevel)  # type: ignore[no-untyped-call]  # locust's, unannotated
    runner.work(args.master_host, args.master_port)
    return 0


def _report(args: argparse.Namespace) -> int:
    from loadtest.report import write_report

    logging.basicConfig(level=logging.WARNING)
    path = write_report(args.results, args.out or args.results[0].parent)
    print(path)
    return 0
