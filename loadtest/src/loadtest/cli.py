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
from typing import TYPE_CHECKING, Any

from loadtest import __version__
from loadtest.settings import Plan, Repeatable, Target, add_options, env_default, settings_from

if TYPE_CHECKING:
    from collections.abc import Sequence

Parser = argparse.ArgumentParser | argparse._ArgumentGroup


def _add(parser: Parser, flag: str, env: str, default: str | None, help: str, **kw: Any) -> None:
    """An option outside the run's settings, its default from ``env`` as theirs."""
    shown = f" [env {env}; default {default}]" if default is not None else f" [env {env}]"
    parser.add_argument(flag, default=env_default(env, default), help=help + shown, **kw)


def _pair(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name or not value:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name, value


def _pairs(group: Parser, flag: str, metavar: str, help: str, env: str = "") -> None:
    """A repeatable NAME=VALUE option (space-separated in ``env``, when it has one)."""
    shown = f" [env {env}, space-separated]" if env else ""
    group.add_argument(
        flag, action=Repeatable, type=_pair, metavar=metavar, help=f"{help}; repeatable{shown}",
        default=env_default(env, [], _pair) if env else [],
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest",
        description="Seed the blog's table, load-test the services with locust, report.",
    )
    parser.add_argument("--version", action="version", version=f"loadtest {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    seed = commands.add_parser("seed", help="create and fill demo_data (DATABASE_URL)")
    _add(seed, "--database-url", "DATABASE_URL", None, "mysql://USER:PASSWORD@HOST:PORT/DATABASE")
    add_options(seed, ("seed", "rows"))
    seed.add_argument(
        "--replace", action="store_true", help="truncate and reload a table that holds other rows"
    )
    _add(
        seed, "--method", "LOADTEST_SEED_METHOD", "auto", choices=["auto", "load-data", "insert"],
        help="LOAD DATA LOCAL INFILE, multi-row INSERTs, or the first that the server takes",
    )  # fmt: skip
    seed.add_argument("--no-progress", action="store_true", help="no progress bar")
    _run_parser(commands)
    worker = commands.add_parser("worker", help="a locust worker of a `run --expect-workers`")
    _add(worker, "--master-host", "LOADTEST_MASTER_HOST", "127.0.0.1", "the master's address")
    _add(worker, "--master-port", "LOADTEST_MASTER_PORT", "5557", "the master's port", type=int)
    _add(worker, "--loglevel", "LOADTEST_LOGLEVEL", "INFO", "log level")
    report = commands.add_parser("report", help="Markdown and PNG charts from results files")
    report.add_argument("results", nargs="+", type=Path, metavar="RESULTS", help="results files")
    report.add_argument(
        "--out", type=Path, help="output directory (default: the first file's directory)"
    )
    report.add_argument(
        "--readme",
        type=Path,
        help="also regenerate this Markdown file's answer block (between <!-- answer:begin --> "
        "and <!-- answer:end -->, inserted under the title if missing), linking the report",
    )
    return parser


def _run_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = commands.add_parser(
        "run",
        help="find each target's capacity at a latency SLO, write a results file",
        description="For every round, target and scenario: a saturation probe, then offered "
        "rates stepped by locust (paced users) until the highest rate sustained with p99 within "
        "the SLO is bracketed. See README.md, 'How a capacity is found'.",
    )
    run.add_argument(
        "plan",
        nargs="?",
        type=Path,
        metavar="PLAN",
        help="a whole plan as JSON (settings, targets, watch, labels, meta: loadtest.settings."
        "Plan), instead of every option but --out and --loglevel",
    )
    what = run.add_argument_group("what to measure")
    _pairs(
        what,
        "--target",
        "NAME=URL",
        "a service to measure; each round takes them in turn, starting one further along each "
        "round",
        env="LOADTEST_TARGETS",
    )
    _pairs(
        what,
        "--label",
        "KEY=VALUE",
        "a condition of this run, recorded with each search (the bench passes db_latency_ms, "
        "db_pool_size, web_concurrency); the report says what a run did not label",
    )
    add_options(run)
    cpu = run.add_argument_group("CPU of the targets")
    _pairs(
        cpu,
        "--cpu-allowance",
        "NAME=CORES",
        "the CPU budget of target NAME (its cores or its limit): capacity per core is "
        "capacity / CORES",
    )
    _pairs(
        cpu,
        "--pid",
        "NAME=PID",
        "a local process of target NAME whose CPU time (with its children's) each window records",
    )
    _pairs(
        cpu,
        "--cpu-from",
        "NAME=SOURCE",
        "where target NAME's CPU comes from when it is not a local process: "
        "k8s:NAMESPACE/LABEL-SELECTOR reads the Kubernetes metrics API (metrics.k8s.io/v1beta1 "
        "pods) with the pod's service-account token",
    )
    _pairs(
        cpu,
        "--watch",
        "NAME=PID",
        "another local process (the database, a proxy) whose CPU time each window records",
    )
    output = run.add_argument_group("output")
    _pairs(output, "--meta", "KEY=VALUE", "a fact recorded in the results' environment")
    _add(output, "--out", "LOADTEST_OUT", "results", "directory for the results file", type=Path)
    _add(output, "--loglevel", "LOADTEST_LOGLEVEL", "INFO", "log level")


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

    if not args.database_url:
        print("seed: set DATABASE_URL=mysql://user:password@host:port/database", file=sys.stderr)
        return 2
    try:
        outcome = seed_table(
            args.database_url,
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
    try:
        plan = Plan.from_json(args.plan.read_text()) if args.plan else _plan(args)
        plan.check()
    except ValueError as error:  # a usage error found once the options are combined
        print(f"run: {error}", file=sys.stderr)
        return 2
    if plan.settings.cpus:
        from loadtest.cpu import parse_cpu_list

        # Before locust starts anything: local worker processes inherit the affinity.
        os.sched_setaffinity(0, parse_cpu_list(plan.settings.cpus))
    from locust.log import setup_logging

    from loadtest import runner
    from loadtest.k8s import MetricsError

    setup_logging(args.loglevel)  # type: ignore[no-untyped-call]  # locust's, unannotated
    try:
        path = runner.run(plan, args.out)
    except MetricsError as error:
        print(f"run: {error}", file=sys.stderr)
        return 1
    print(path)
    return 0


def _plan(args: argparse.Namespace) -> Plan:
    """The plan the options describe, each per-target option checked against the targets."""
    named = args.target or []
    names = {name for name, _ in named}
    pids, watch = _grouped(args.pid), _grouped(args.watch)
    sources = dict(args.cpu_from)
    allowances = {}
    for name, cores in args.cpu_allowance:
        try:
            allowances[name] = float(cores)
        except ValueError:
            raise ValueError(f"--cpu-allowance {name}={cores}: not a number of cores") from None
    per_target = {"--pid": pids, "--cpu-from": sources, "--cpu-allowance": allowances}
    for option, given in per_target.items():
        if unknown := set(given) - names:
            raise ValueError(f"{option} names no target: {sorted(unknown)}")
    targets = tuple(
        Target(name, url.rstrip("/"), pids.get(name, ()), sources.get(name), allowances.get(name))
        for name, url in named
    )
    return Plan(settings_from(args), targets, watch, dict(args.label), dict(args.meta))


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
