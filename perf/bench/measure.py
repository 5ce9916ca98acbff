"""One measurement: a wrk run against a started target, with every reading taken around it."""

from __future__ import annotations

import time
from dataclasses import dataclass

from loadtest.cpu import busy_seconds, cpu_delta, tree_cpu

from contract.database import Database
from contract.peak import ConnectionPeak
from perf.bench import wrk
from perf.bench.checks import sample_problem, sampled_rows
from perf.bench.results import Measurement, Settings
from perf.bench.targets import Target


@dataclass(frozen=True)
class Running:
    """A started target: where it listens, its process, its database user."""

    target: Target
    url: str
    pid: int
    user: str


def measure(
    running: Running,
    *,
    path: str,
    connections: int,
    seconds: int,
    round_: int,
    settings: Settings,
    database: Database,
) -> Measurement:
    """Load ``running`` with wrk; its CPU, wrk's, the load CPUs', its connections, its answers."""
    load_cpus = settings.load_cpus
    # The target's process tree: gunicorn's master and worker, uvicorn's one process.
    cpu_before, busy_before = tree_cpu([running.pid]), busy_seconds(load_cpus)
    started = time.monotonic()
    with ConnectionPeak(database, running.user) as peak:
        output, wrk_cpu = wrk.run(
            running.url + path,
            connections=connections,
            seconds=seconds,
            timeout_s=settings.wrk_timeout_s,
            cpus=load_cpus,
        )
    elapsed = max(time.monotonic() - started, 1e-9)
    target_cpu = cpu_delta(cpu_before, tree_cpu([running.pid])) / elapsed
    # A share (0 to 1): the two readings straddle the run by a little, never by much.
    load_cpu = min((busy_seconds(load_cpus) - busy_before) / elapsed / len(load_cpus), 1.0)

    problem = sample_problem(path, output.samples)
    if problem is None and path == "/demo" and running.target.takes_name:
        # Rows that came back under load must be the database's: the drawn name is gone, but
        # the rows' own name matches the same rows (the collation's equality is symmetric).
        for rows in sampled_rows(output.samples):
            if rows != database.lookup(rows[0]["name"]):
                problem = f"rows for {rows[0]['name']!r} are not the database's"
                break
    n = output.numbers
    duration = n["duration_us"] / 1e6
    return Measurement(
        round=round_,
        target=running.target.name,
        path=path,
        connections=connections,
        duration_s=round(duration, 3),
        requests=n["requests"],
        rps=round(n["requests"] / duration, 1) if duration else 0.0,
        p50_ms=_ms(n["p50_us"]),
        p90_ms=_ms(n["p90_us"]),
        p99_ms=_ms(n["p99_us"]),
        max_ms=n["max_us"] / 1000,
        errors={k: n[k] for k in ("connect", "read", "write", "timeout", "status", "non_200")},
        statuses=n["statuses"],
        checked=n["checked"],
        bodies=len(output.samples),
        body_problem=problem,
        target_cpu=round(target_cpu, 3),
        wrk_cpu=round(wrk_cpu / elapsed, 3),
        load_cpu=round(load_cpu, 3),
        db_connections_peak=peak.peak,
    )


def _ms(microseconds: int) -> float | None:
    """wrk_check.lua's percentile in ms; -1 (beyond the timeout) is None."""
    return None if microseconds < 0 else microseconds / 1000
