"""A whole run: the database, every target started, the row checks, warm-up, interleaved rounds.

Each target is ONE worker pinned to the first CPU (``loadtest.cpu.split_cpus``); wrk, the
database and this process keep the others. After a warm-up, rounds of wrk runs are interleaved
(the target order rotates every round), so a noisy neighbour spreads over every target instead
of one. Only 127.0.0.1 is contacted; every wait is bounded (each wrk run by its duration plus a
grace, each start by the kit's timeout, each check by a deadline)."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pymysql
from loadtest.results import utc_now

from contract.database import Database, provide_database
from contract.fixtures import seed_rows
from contract.services import run_with_login
from perf.bench import machine
from perf.bench.measure import Running, measure
from perf.bench.probe import check_rows
from perf.bench.results import Measurement, Results, Settings
from perf.bench.targets import PERF, Target

# The blog's apps hold hundreds of connections each (Flask's one per greenlet, for good).
MAX_CONNECTIONS = 8000


@contextmanager
def started(
    targets: Sequence[Target],
    database: Database,
    settings: Settings,
    log_dir: Path,
    logs: dict[str, Path],
) -> Iterator[list[Running]]:
    """Every target, each as one worker on ``settings.target_cpus``, until the block ends."""
    with ExitStack() as stack:
        running = []
        for target in targets:
            service, reader = stack.enter_context(
                run_with_login(
                    target.spec, database, port=target.port,
                    env=settings.env.get(target.name, {}),  # beside the spec's own env
                    cpus=settings.target_cpus, wait_path="/idle", log_dir=log_dir,
                )
            )  # fmt: skip
            logs[target.name] = service.log
            running.append(Running(target, service.url, service.pid, reader.user))
            print(f"  {target.name:<22} {service.url}  pid {service.pid}", flush=True)
        yield running


def allow_connections(database: Database, count: int) -> None:
    """The blog's apps hold hundreds of connections each: raise the server's limit if we may."""
    try:
        database.execute(f"SET GLOBAL max_connections = {int(count)}")
    except pymysql.MySQLError as error:
        print(f"note: could not raise max_connections ({error})", file=sys.stderr)


def rotated[T](items: Sequence[T], by: int) -> list[T]:
    by %= len(items)
    return [*items[by:], *items[:by]]


def run(
    targets: Sequence[Target], settings: Settings, log_dir: Path
) -> tuple[Results, dict[str, Path]]:
    """Measure every target; the results, and each target's server log (in ``log_dir``)."""
    started_at = utc_now()
    described = machine.describe()
    measurements: list[Measurement] = []
    logs: dict[str, Path] = {}
    with provide_database(prefix="perf") as database:
        print(f"seeding {settings.rows:,} rows...", flush=True)
        seconds = seed_rows(database, settings.rows)
        allow_connections(database, MAX_CONNECTIONS)
        about_database = {
            "version": "MariaDB/MySQL " + str(database.execute("SELECT VERSION()")[0][0]),
            "rows": int(database.execute("SELECT COUNT(*) FROM demo_data")[0][0]),
            "seed_s": round(seconds, 1),
        }
        print(f"starting {len(targets)} targets (logs: {log_dir})...", flush=True)
        with started(targets, database, settings, log_dir, logs) as running:
            checks = {r.target.name: check_rows(r.target, r.url, database) for r in running}
            for r in running if settings.warmup_s else ():
                for path in settings.paths:
                    # At the highest concurrency: pools, caches and lazy connections fill up.
                    measurements.append(
                        measure(
                            r, path=path, connections=max(settings.connections),
                            seconds=settings.warmup_s, round_=0, settings=settings,
                            database=database,
                        )
                    )  # fmt: skip
            combos = [(p, c) for c in settings.connections for p in settings.paths]
            for round_ in range(1, settings.rounds + 1):
                print(f"round {round_}/{settings.rounds}", flush=True)
                for path, connections in combos:
                    for r in rotated(running, round_ - 1):
                        m = measure(
                            r, path=path, connections=connections, seconds=settings.duration_s,
                            round_=round_, settings=settings, database=database,
                        )  # fmt: skip
                        measurements.append(m)
                        _progress(m)
    described["load_average_at_end"] = machine.load_average()
    results = Results(
        started=started_at,
        finished=utc_now(),
        machine=described,
        settings=settings,
        database=about_database,
        roles=[t.role for t in targets],
        targets=[_about(t, checks[t.name], measurements, settings.env) for t in targets],
        measurements=measurements,
    )
    return results, logs


def _about(
    target: Target,
    rows: str,
    measurements: Sequence[Measurement],
    extra_env: Mapping[str, Mapping[str, str]],
) -> dict[str, object]:
    return {
        "name": target.name,
        "command": list(target.spec.command),
        "cwd": str(target.spec.path.relative_to(PERF.parent)),
        "environment_of": target.spec.requirements.relative_to(PERF.parent).as_posix(),
        "env": {**target.spec.env, **extra_env.get(target.name, {})},
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
