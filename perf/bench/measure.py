"""A started target's rows before the load, and one wrk run with every reading around it.

wrk runs pinned to the load CPUs with wrk_check.lua. wrk 4.1 counts an answer that comes after
``--timeout`` as a timeout (and still as a request) and leaves it out of its latency histogram;
requests still unanswered when the run ends are not counted at all. The script turns the
percentiles into percentiles over every answer (see its ``done``). https://github.com/wg/wrk
"""

from __future__ import annotations

import json
import resource
import subprocess
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from loadtest.cpu import busy_seconds, cpu_delta, tree_cpu

from contract.client import demo_path
from contract.database import Database
from contract.peak import ConnectionPeak
from perf.bench.checks import answer_problem, sample_problem
from perf.bench.results import Measurement, Settings
from perf.bench.targets import Target

SCRIPT = Path(__file__).with_name("wrk_check.lua")
# Beyond its duration, how long a wrk run may take (start, connect, report) before it is killed.
GRACE_S = 60
# Names whose answer is compared with the database's own (contract.fixtures loads them):
# several rows in id order, a NULL timestamp, collation matches, multibyte, no match.
PROBE_NAMES = ("dup", "nullable", "fixed", "CASE", "emoji 😀", "a", "missing")

Samples = list[tuple[str, bytes]]  # the sampled answers: (content type, body)


@dataclass(frozen=True)
class Running:
    """A started target: where it listens, its process, its database user."""

    target: Target
    url: str
    pid: int
    user: str


def check_rows(running: Running, database: Database, deadline_s: float = 20.0) -> str:
    """Before any load: ``"ok"`` if ``/demo`` sends the database's rows for each probe name,
    ``"ok (shape)"`` (the blog's apps), or what is wrong with the rows sent."""
    with httpx.Client(base_url=running.url, timeout=5.0) as client:
        if running.target.role.kind != "blog":
            for name in PROBE_NAMES:
                response = client.get(demo_path(name))
                if problem := _problem(response):
                    return f"wrong: {name!r}: {problem}"
                if response.json() != database.lookup(name):
                    return f"wrong: {name!r}: not the database's rows"
            return "ok"
        # The blog's apps draw their own random name: ask until one answers with rows (a
        # one-letter name, about one request in 250), then check their shape.
        stop = time.monotonic() + deadline_s
        while time.monotonic() < stop:
            response = client.get("/demo")
            if problem := _problem(response):
                return f"wrong: {problem}"
            if response.json():
                return "ok (shape)"
        return "unknown: no row drawn in time"


def _problem(response: httpx.Response) -> str | None:
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    return answer_problem("/demo", response.headers.get("content-type", ""), response.content)


def measure(
    running: Running,
    path: str,
    connections: int,
    seconds: int,
    round_: int,
    *,
    settings: Settings,
    database: Database,
) -> Measurement:
    """Load ``running`` with wrk; its CPU, wrk's, the load CPUs', its connections, its answers."""
    load_cpus = settings.load_cpus
    # The target's process tree: gunicorn's master and worker, uvicorn's one process.
    cpu_before, busy_before = tree_cpu([running.pid]), busy_seconds(load_cpus)
    started = time.monotonic()
    with ConnectionPeak(database, running.user) as peak:
        n, samples, wrk_cpu = wrk(
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

    problem = sample_problem(path, samples)
    if problem is None and path == "/demo" and running.target.role.kind != "blog":
        # Rows that came back under load (every sample has the rows' shape by now) must be the
        # database's: the drawn name is gone, but the rows' own name matches the same rows (the
        # collation's equality is symmetric).
        for rows in (json.loads(body) for _, body in samples):
            if rows and rows != database.lookup(rows[0]["name"]):
                problem = f"rows for {rows[0]['name']!r} are not the database's"
                break
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
        bodies=len(samples),
        body_problem=problem,
        target_cpu=round(target_cpu, 3),
        wrk_cpu=round(wrk_cpu / elapsed, 3),
        load_cpu=round(load_cpu, 3),
        db_connections_peak=peak.peak,
    )


def _ms(microseconds: int) -> float | None:
    """wrk_check.lua's percentile in ms; -1 (beyond the timeout) is None."""
    return None if microseconds < 0 else microseconds / 1000


def wrk(
    url: str, *, connections: int, seconds: int, timeout_s: int, cpus: Collection[int]
) -> tuple[dict[str, Any], Samples, float]:
    """Run wrk on ``cpus`` (one thread): the script's numbers, its samples, wrk's CPU seconds."""
    command = [
        "taskset", "-c", ",".join(map(str, sorted(cpus))),
        "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout_s}s",
        "-s", str(SCRIPT), url,
    ]  # fmt: skip
    # taskset execs wrk in the same process: this process's children's usage grows by wrk's.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + GRACE_S, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise RuntimeError(f"wrk exited with {result.returncode}:\n{result.stdout}{result.stderr}")
    return *parse(result.stdout), cpu


def parse(stdout: str) -> tuple[dict[str, Any], Samples]:
    """The script's ``PERF_JSON`` line and ``PERF_BODY`` lines (content type, body), from wrk's
    whole output."""
    numbers: dict[str, Any] | None = None
    samples = []
    for line in stdout.splitlines():
        if line.startswith("PERF_JSON "):
            numbers = json.loads(line.removeprefix("PERF_JSON "))
        elif line.startswith("PERF_BODY "):
            content_type, _, body = bytes.fromhex(line.removeprefix("PERF_BODY ")).partition(b"\n")
            samples.append((content_type.decode("latin-1"), body))
    if numbers is None:
        raise RuntimeError(f"wrk printed no result:\n{stdout}")
    return numbers, samples
