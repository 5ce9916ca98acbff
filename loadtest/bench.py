"""``nox -s bench``: the whole comparison on one machine, start to report.

Glue between the contract kit (``contract/``: a throw-away database, services started by their
Dockerfile ``CMD``) and the load generator (``python -m loadtest``), so it runs with the
repository root on ``sys.path``; the installable ``loadtest`` package never imports the kit
(its image stands alone). Steps:

1. a scratch database on ``DATABASE_URL``'s server, or on a throw-away one;
2. ``python -m loadtest seed --rows N`` (default 1,000,000, as in the blog);
3. for each service in turn: start it by its Dockerfile command with a SELECT-only login,
   pinned to its own core(s), and ``python -m loadtest run`` against it, the generator pinned to
   the other core(s), the service's process tree's CPU time recorded; stop it;
4. ``python -m loadtest report`` over the results; print the report's path.

One service at a time, so an idle server never shares the service core with the measured one.
The database is not pinned: on two cores it shares them with both (the README says so).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil

from contract.database import provide_database
from contract.services import discover, run_service

ROOT = Path(__file__).resolve().parent.parent
# The question the project answers: which concurrency model each service stands for.
STACKS = {"django": "gevent", "flask": "gevent", "fastapi": "asyncio", "starlette": "asyncio"}
COMMAND_TIMEOUT = 1800  # seconds; a run of 3 scenarios is well under this even at defaults


@dataclass(frozen=True)
class Plan:
    """How much load, for how long."""

    rows: int
    users: int
    warmup: float
    duration: float


DEFAULT = Plan(rows=1_000_000, users=32, warmup=10, duration=30)
QUICK = Plan(rows=10_000, users=16, warmup=1, duration=3)


def split_cpus() -> tuple[set[int], set[int]]:
    """Service cores and generator cores: half each (the service gets the first half)."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return set(cpus), set(cpus)  # nothing to split: both share the only core
    half = len(cpus) // 2
    return set(cpus[:half]), set(cpus[half:])


def cpu_list(cpus: set[int]) -> str:
    return ",".join(str(cpu) for cpu in sorted(cpus))


def listener_pid(host: str, port: int) -> int | None:
    """The local process listening on ``host:port`` (the database), if this machine runs it."""
    if host not in {"127.0.0.1", "localhost", "::1"}:
        return None
    try:
        connections = psutil.net_connections(kind="tcp")
    except psutil.AccessDenied:
        return None
    for conn in connections:
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
            return conn.pid
    return None


def loadtest(*args: str, env: dict[str, str] | None = None) -> str:
    """Run ``python -m loadtest ARGS``, its progress on our stderr; return its stdout."""
    result = subprocess.run(
        [sys.executable, "-m", "loadtest", *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=True,
    )
    return result.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nox -s bench --", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of about a minute")
    parser.add_argument("--rows", type=int, help="rows to seed (default 1,000,000; quick 10,000)")
    parser.add_argument("--users", type=int, help="concurrent users per service")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per scenario")
    parser.add_argument("--duration", type=float, help="seconds measured per scenario")
    parser.add_argument("--service", action="append", help="measure only these (repeatable)")
    parser.add_argument("--out", type=Path, default=ROOT / "results", help="results root")
    args = parser.parse_args(argv)
    base = QUICK if args.quick else DEFAULT
    plan = Plan(
        rows=args.rows or base.rows,
        users=args.users or base.users,
        warmup=base.warmup if args.warmup is None else args.warmup,
        duration=args.duration or base.duration,
    )
    out = args.out / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True)
    service_cpus, generator_cpus = split_cpus()
    specs = discover(args.service)
    started = time.monotonic()
    print(
        f"bench: {len(specs)} service(s) on CPU {cpu_list(service_cpus)}, load generator on CPU "
        f"{cpu_list(generator_cpus)}, {plan.rows:,} rows, {plan.users} users, "
        f"{plan.warmup:g} s warm-up + {plan.duration:g} s per scenario; results in {out}",
        file=sys.stderr,
        flush=True,
    )
    with provide_database(prefix="bench") as database:
        loadtest("seed", "--rows", str(plan.rows), env={"DATABASE_URL": database.url})
        server_version = str(database.execute("SELECT VERSION()")[0][0])
        database_pid = listener_pid(database.server.host, database.server.port)
        # The database shares the machine: record its CPU per window next to the service's.
        watch = ["--watch", f"database={database_pid}"] if database_pid else []
        for spec in specs:
            reader = database.create_reader(spec.name)
            concurrency = str(len(service_cpus))
            with run_service(
                spec,
                database_url=reader.url(database.name),
                env={"WEB_CONCURRENCY": concurrency},
                cpus=service_cpus,
                log_dir=out,
            ) as service:
                loadtest(
                    "run",
                    "--target", f"{spec.name}={service.url}",
                    "--pid", f"{spec.name}={service.pid}",
                    "--cpus", cpu_list(generator_cpus),
                    "--processes", str(len(generator_cpus)),
                    "--users", str(plan.users),
                    "--spawn-rate", str(plan.users),
                    "--warmup", str(plan.warmup),
                    "--duration", str(plan.duration),
                    "--rows", str(plan.rows),
                    "--out", str(out),
                    "--meta", f"stack.{spec.name}={STACKS.get(spec.name, 'other')}",
                    "--meta", f"command.{spec.name}={' '.join(spec.command)}",
                    "--meta", f"web_concurrency.{spec.name}={concurrency}",
                    "--meta", f"service_cpus={cpu_list(service_cpus)}",
                    "--meta", f"database={server_version}",
                    *watch,
                )  # fmt: skip
    results = sorted(out.glob("loadtest-*.json"))
    report = loadtest("report", *map(str, results), "--out", str(out))
    failed = [
        f"{m['target']} / {m['scenario']}: {m['failures']} of {m['requests']}"
        for path in results
        for m in json.loads(path.read_text())["measurements"]
        if m["failures"] or not m["requests"]
    ]
    print(f"bench: done in {time.monotonic() - started:.0f} s", file=sys.stderr)
    print(report)
    if failed:
        print("bench: failed requests (or none at all):\n  " + "\n  ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
