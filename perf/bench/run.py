"""A whole run: the database, every target started, the row checks, warm-up, interleaved rounds.

Each target is ONE worker pinned to the first CPU (``loadtest.cpu.split_cpus``); wrk, the
database and this process keep the others. After a warm-up, rounds of wrk runs are interleaved
(the target order rotates every round), so a noisy neighbour spreads over every target instead
of one. Only 127.0.0.1 is contacted; every wait is bounded (each wrk run by its duration plus a
grace, each start by the kit's timeout, each check by a deadline)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Any

import pymysql
from loadtest.results import describe_environment, git_commit, utc_now

from contract.database import provide_database
from contract.fixtures import seed_rows
from contract.services import run_with_login
from perf.bench.measure import Running, check_rows, measure
from perf.bench.results import Measurement, Results, Settings
from perf.bench.targets import PERF, Target

# The blog's apps hold hundreds of connections each (Flask's one per greenlet, for good).
MAX_CONNECTIONS = 8000


def run(
    targets: Sequence[Target], settings: Settings, log_dir: Path
) -> tuple[Results, dict[str, Path]]:
    """Measure every target; the results, and each target's server log (in ``log_dir``)."""
    started_at = utc_now()
    machine = describe_machine()
    measurements: list[Measurement] = []
    logs: dict[str, Path] = {}
    # Left in reverse order: every target stopped before the database goes.
    with provide_database(prefix="perf") as database, ExitStack() as stack:
        print(f"seeding {settings.rows:,} rows...", flush=True)
        seconds = seed_rows(database, settings.rows)
        try:  # a server of DATABASE_URL's may refuse: a note then, not a failure
            database.execute(f"SET GLOBAL max_connections = {MAX_CONNECTIONS}")
        except pymysql.MySQLError as error:
            print(f"note: could not raise max_connections ({error})", file=sys.stderr)
        about_database = {
            "version": "MariaDB/MySQL " + str(database.execute("SELECT VERSION()")[0][0]),
            "rows": int(database.execute("SELECT COUNT(*) FROM demo_data")[0][0]),
            "seed_s": round(seconds, 1),
        }
        print(f"starting {len(targets)} targets (logs: {log_dir})...", flush=True)
        running = []
        for target in targets:
            service, login = stack.enter_context(
                run_with_login(
                    target.spec, database, port=target.port,
                    env=settings.env.get(target.name, {}),  # beside the spec's own env
                    cpus=settings.target_cpus, wait_path="/idle", log_dir=log_dir,
                )
            )  # fmt: skip
            logs[target.name] = service.log
            running.append(Running(target, service.url, service.pid, login.user))
            print(f"  {target.name:<22} {service.url}  pid {service.pid}", flush=True)
        checks = {r.target.name: check_rows(r, database) for r in running}
        load = partial(measure, settings=settings, database=database)
        for r in running if settings.warmup_s else ():
            for path in settings.paths:
                # At the highest concurrency: pools, caches and lazy connections fill up.
                measurements.append(load(r, path, max(settings.connections), settings.warmup_s, 0))
        for round_ in range(1, settings.rounds + 1):
            print(f"round {round_}/{settings.rounds}", flush=True)
            shift = (round_ - 1) % len(running)
            for connections in settings.connections:
                for path in settings.paths:
                    for r in running[shift:] + running[:shift]:
                        m = load(r, path, connections, settings.duration_s, round_)
                        measurements.append(m)
                        _progress(m)
    machine["load_average_at_end"] = _load_average()
    results = Results(
        started=started_at,
        finished=utc_now(),
        machine=machine,
        settings=settings,
        database=about_database,
        roles=[t.role for t in targets],
        targets=[_about(t, checks[t.name], measurements, settings) for t in targets],
        measurements=measurements,
    )
    return results, logs


def describe_machine() -> dict[str, Any]:
    """loadtest's description of the machine (CPU, memory, OS, Python, ...), with the kernel,
    wrk's version, the load average and the commit measured."""
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    machine = describe_environment()
    commit, dirty = git_commit(PERF)
    return {
        **machine,
        "cpus": machine["cpus_logical"],
        "kernel": platform.release(),
        "wrk": wrk.stdout.split(" [")[0].strip(),
        "load_average_at_start": _load_average(),
        "commit": commit,  # the code measured (None: not a git work tree)
        "dirty": dirty,
    }


def _load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _about(
    target: Target, rows: str, measurements: Sequence[Measurement], settings: Settings
) -> dict[str, object]:
    return {
        "name": target.name,
        "command": list(target.spec.command),
        "cwd": str(target.spec.path.relative_to(PERF.parent)),
        "environment_of": target.spec.requirements.relative_to(PERF.parent).as_posix(),
        "env": {**target.spec.env, **settings.env.get(target.name, {})},
        "rows": rows,
        "warmup_failures": sum(
            m.failures for m in measurements if m.round == 0 and m.target == target.name
        ),
    }


def _progress(m: Measurement) -> None:
    p99 = "> timeout" if m.p99_ms is None else f"{m.p99_ms:7.2f} ms"
    print(
        f"  {m.target:<22} {m.path:<6} c{m.connections:<4} {m.rps:>9,.0f} req/s  p99 {p99}"
        f"  cpu {m.target_cpu:.2f}  wrk {m.wrk_cpu:.2f}  failures {m.failures}"
        + (f"  bodies: {m.body_problem}" if m.body_problem else ""),
        flush=True,
    )
