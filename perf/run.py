"""The micro-benchmark: every service, the two bare floors and the blog's four apps, side by side.

``nox -s perf`` (the full run) and ``nox -s perf -- --smoke`` (one short round, for CI). Each
target is ONE worker pinned to its own core; wrk and MariaDB share the other core(s). After a
warm-up, rounds of wrk runs are interleaved (the target order rotates every round) and the
medians are reported, so a noisy neighbour spreads over every target instead of one. The output
format (a JSON results file and a Markdown table) is documented in perf/README.md.

Only 127.0.0.1 is ever contacted; every wait and loop here is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import psutil
import pymysql

from contract.database import TIMESTAMP_FORMAT, Database, provide_database
from contract.fixtures import load_fixtures
from contract.netutil import free_port
from contract.services import ServiceSpec, discover, run_service

PERF = Path(__file__).resolve().parent
ROOT = PERF.parent
WRK_SCRIPT = PERF / "wrk_json.lua"
SCHEMA = "gevent-or-asyncio/perf/1"  # bumped whenever a field changes meaning

# Seeding a million rows takes 20 to 45 s here; a server this slow is not one to measure.
SEED_TIMEOUT = 600
# Names whose answer is compared with the database's own (contract.fixtures loads them):
# several rows in id order, a NULL timestamp, collation matches, multibyte, no match.
PROBE_NAMES = ("dup", "nullable", "fixed", "CASE", "emoji 😀", "a", "missing")
ROW_KEYS = ("id", "name", "create_time", "update_time")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")

# The targets: /demo req/s of each service over the blog's app of its framework.
TARGET_RATIOS = {"django": 2.0, "flask": 1.5, "fastapi": 1.6, "starlette": 1.8}
# Errors that make a measurement a failure; wrk's timeouts are reported, not failed.
FAILURES = ("connect", "read", "write", "status")

UVICORN = ("uvicorn", "--host", "127.0.0.1", "--loop", "uvloop", "--http", "httptools")
UVICORN_QUIET = ("--ws", "none", "--no-access-log", "--log-level", "warning")


@dataclass(frozen=True)
class BorrowedSpec(ServiceSpec):
    """A reference app run from a perf/ folder in a service's pinned virtualenv.

    ``name`` stays the service's, so the kit reuses that service's environment; the command
    runs in ``path`` (a folder of perf/), never in the service's folder.
    """

    borrowed_requirements: Path = Path()

    @property
    def requirements(self) -> Path:
        return self.borrowed_requirements


@dataclass(frozen=True)
class Target:
    """One server under test."""

    name: str  # "django", "floor-gevent", "blog-django", ...
    kind: str  # "service", "floor" or "blog"
    stack: str  # "gevent" or "asyncio"
    framework: str | None  # the service and blog app it belongs with; None for a floor
    spec: ServiceSpec
    port: int
    env: dict[str, str] = field(default_factory=dict)

    @property
    def floor(self) -> str:
        return f"floor-{self.stack}"

    @property
    def blog(self) -> str | None:
        return f"blog-{self.framework}" if self.framework else None

    @property
    def takes_name(self) -> bool:
        """Whether ``/demo?name=`` is honoured (the blog's apps always draw a random name)."""
        return self.kind != "blog"


STACKS = {"django": "gevent", "flask": "gevent", "fastapi": "asyncio", "starlette": "asyncio"}


def build_targets(selected: Sequence[str] | None) -> list[Target]:
    """The services (by their Dockerfile CMD), the floors and the blog's apps, in report order."""
    services = {spec.name: spec for spec in discover()}

    def borrow(base: str, folder: Path, command: tuple[str, ...]) -> ServiceSpec:
        spec = services[base]
        return BorrowedSpec(
            name=spec.name,
            path=folder,
            command=command,
            borrowed_requirements=spec.requirements,
        )

    def uvicorn(app: str, port: int) -> tuple[str, ...]:
        return (*UVICORN, "--port", str(port), *UVICORN_QUIET, app)

    targets: list[Target] = []
    for name, spec in services.items():
        targets.append(Target(name, "service", STACKS[name], name, spec, free_port()))
    floors = PERF / "floors"
    port = free_port()
    targets.append(
        Target(
            "floor-gevent",
            "floor",
            "gevent",
            None,
            borrow("flask", floors, ("gunicorn", "-c", "gevent_floor_conf.py", "gevent_floor:app")),
            port,
        )
    )
    port = free_port()
    targets.append(
        Target(
            "floor-asyncio",
            "floor",
            "asyncio",
            None,
            borrow("starlette", floors, uvicorn("asgi_floor:app", port)),
            port,
        )
    )
    blog = PERF / "blog"
    # One gunicorn configuration for the blog's Django and Flask apps, as the blog ran both.
    gunicorn = ("gunicorn", "-c", "../gunicorn.conf.py")
    blog_apps: dict[str, tuple[str, tuple[str, ...] | None]] = {
        "django": ("django", (*gunicorn, "blog.wsgi")),
        "flask": ("flask", (*gunicorn, "app:app")),
        "fastapi": ("fastapi", None),
        # The blog's Starlette app imports pydantic, which Starlette's pins lack: FastAPI's
        # environment has the same Starlette release and pydantic.
        "starlette": ("fastapi", None),
    }
    for framework, (venv, gunicorn_command) in blog_apps.items():
        port = free_port()
        spec = borrow(venv, blog / framework, gunicorn_command or uvicorn("main:app", port))
        targets.append(
            Target(f"blog-{framework}", "blog", STACKS[framework], framework, spec, port)
        )
    if selected:
        unknown = set(selected) - {t.name for t in targets}
        if unknown:
            known = [t.name for t in targets]
            raise SystemExit(f"unknown target(s) {sorted(unknown)}; known: {known}")
        targets = [t for t in targets if t.name in selected]
    return targets


# --- the database ----------------------------------------------------------------------------


def seed(database: Database, rows: int) -> float:
    """Load ``rows`` blog names (plus the kit's fixtures); returns the seconds it took.

    The names are loadtest's (``python -m loadtest seed``, as ``nox -s bench`` runs it): the
    same seeded stream, loaded by ``LOAD DATA LOCAL INFILE`` or multi-row ``INSERT``s.
    """
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "loadtest", "seed", "--rows", str(rows)],
        env={**os.environ, "DATABASE_URL": database.url},
        timeout=SEED_TIMEOUT,
        check=True,
    )
    load_fixtures(database)
    return time.monotonic() - started


def allow_connections(database: Database, count: int) -> None:
    """The blog's apps hold hundreds of connections each: raise the server's limit if we may."""
    try:
        database.execute(f"SET GLOBAL max_connections = {int(count)}")
    except pymysql.MySQLError as error:
        print(f"note: could not raise max_connections ({error})", file=sys.stderr)


# --- correctness -----------------------------------------------------------------------------


def check_rows(target: Target, url: str, database: Database, deadline: float = 20.0) -> str:
    """Return "ok", or what is wrong with the rows ``/demo`` sends (compared with the database)."""
    with httpx.Client(base_url=url, timeout=5.0) as client:
        if target.takes_name:
            for name in PROBE_NAMES:
                response = client.get(f"/demo?name={quote(name, safe='')}")
                problem = _check_response(response)
                if problem:
                    return f"wrong: {name!r}: {problem}"
                if response.json() != database.lookup(name):
                    return f"wrong: {name!r}: not the database's rows"
            return "ok"
        # The blog's apps draw their own random name: ask until one answers with rows (a
        # one-letter name, about one request in 250), then check their shape.
        stop = time.monotonic() + deadline
        while time.monotonic() < stop:
            response = client.get("/demo")
            problem = _check_response(response)
            if problem:
                return f"wrong: {problem}"
            body = response.json()
            if body:
                return "ok (shape)" if _rows_shape_ok(body) else f"wrong: sends {str(body[0])[:60]}"
        return "unknown: no row drawn in time"


def _check_response(response: httpx.Response) -> str | None:
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    if response.headers.get("content-type") != "application/json":
        return f"Content-Type {response.headers.get('content-type')!r}"
    if not isinstance(response.json(), list):
        return "not a JSON array"
    return None


def _rows_shape_ok(rows: list[Any]) -> bool:
    for row in rows:
        if not isinstance(row, dict) or tuple(row) != ROW_KEYS:
            return False
        if not isinstance(row["id"], int) or not isinstance(row["name"], str):
            return False
        for key in ("create_time", "update_time"):
            if row[key] is not None and not TIMESTAMP.fullmatch(str(row[key])):
                return False
    return True


# --- load ------------------------------------------------------------------------------------


@dataclass
class Measurement:
    """One wrk run against one target."""

    round: int  # 0 is the warm-up
    target: str
    path: str
    connections: int
    duration_s: float
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]
    target_cpu: float  # the target's CPU time over the run, in cores (1.0: one core busy)
    db_connections: int  # connections the target's database user held right after the run

    @property
    def failures(self) -> int:
        return sum(self.errors[kind] for kind in FAILURES)


def wrk(url: str, connections: int, seconds: int, cpus: set[int], timeout_s: int) -> dict[str, int]:
    """One wrk run, pinned to ``cpus``; the numbers its Lua script prints."""
    command = [
        "taskset", "-c", ",".join(map(str, sorted(cpus))),
        "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout_s}s",
        "-s", str(WRK_SCRIPT), url,
    ]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    for line in result.stdout.splitlines():
        if line.startswith("PERF_JSON "):
            numbers: dict[str, int] = json.loads(line.removeprefix("PERF_JSON "))
            return numbers
    raise RuntimeError(f"wrk gave no result ({result.returncode}):\n{result.stdout}{result.stderr}")


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and all its children (gunicorn's master and worker)."""
    total = 0.0
    try:
        root = psutil.Process(pid)
        for process in [root, *root.children(recursive=True)]:
            times = process.cpu_times()
            total += times.user + times.system
    except psutil.Error:
        pass
    return total


@dataclass
class Running:
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
    args: argparse.Namespace,
    database: Database,
) -> Measurement:
    cpu_before, started = cpu_seconds(running.pid), time.monotonic()
    raw = wrk(running.url + path, connections, seconds, args.load_cpus, args.timeout)
    cpu = (cpu_seconds(running.pid) - cpu_before) / max(time.monotonic() - started, 1e-9)
    duration = raw["duration_us"] / 1e6
    return Measurement(
        round=round_,
        target=running.target.name,
        path=path,
        connections=connections,
        duration_s=round(duration, 3),
        requests=raw["requests"],
        rps=round(raw["requests"] / duration, 1) if duration else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        errors={k: raw[k] for k in (*FAILURES, "timeout")},
        target_cpu=round(cpu, 3),
        db_connections=database.connections(running.user),
    )


def rotated[T](items: Sequence[T], by: int) -> list[T]:
    by %= len(items)
    return [*items[by:], *items[:by]]


# --- the run ---------------------------------------------------------------------------------


@contextmanager
def started(
    targets: Sequence[Target], database: Database, args: argparse.Namespace, log_dir: Path
) -> Iterator[list[Running]]:
    """Every target, each as one worker pinned to ``args.target_cpus``, until the block ends."""
    with ExitStack() as stack:
        running = []
        for target in targets:
            reader = database.create_reader(target.name.replace("-", "_"))
            env = {**target.env, **args.env_for.get(target.name, {})}
            service = stack.enter_context(
                run_service(
                    target.spec,
                    database_url=reader.url(database.name),
                    port=target.port,
                    env=env,
                    cpus=args.target_cpus,
                    wait_path="/idle",
                    log_dir=log_dir,
                )
            )
            running.append(Running(target, service.url, service.pid, reader.user))
            print(f"  {target.name:<15} {service.url}  pid {service.pid}", flush=True)
        yield running


def summarise(
    targets: Sequence[Target], measurements: Sequence[Measurement], args: argparse.Namespace
) -> list[dict[str, Any]]:
    """Medians over the rounds, and the ratios to the stack's floor and to the blog's app."""
    rows = []
    medians: dict[tuple[str, str, int], float] = {}
    for target in targets:
        for path in args.paths:
            for connections in args.connections:
                runs = [
                    m
                    for m in measurements
                    if m.round > 0
                    and (m.target, m.path, m.connections) == (target.name, path, connections)
                ]
                if not runs:
                    continue
                rps = statistics.median(m.rps for m in runs)
                medians[target.name, path, connections] = rps
                rows.append(
                    {
                        "target": target.name,
                        "kind": target.kind,
                        "stack": target.stack,
                        "framework": target.framework,
                        "path": path,
                        "connections": connections,
                        "rounds": len(runs),
                        "rps": round(rps, 1),
                        "rps_min": min(m.rps for m in runs),
                        "rps_max": max(m.rps for m in runs),
                        "p50_ms": round(statistics.median(m.p50_ms for m in runs), 3),
                        "p99_ms": round(statistics.median(m.p99_ms for m in runs), 3),
                        "target_cpu": round(statistics.median(m.target_cpu for m in runs), 2),
                        "cpu_us_per_request": round(
                            statistics.median(m.target_cpu / m.rps * 1e6 for m in runs if m.rps),
                            1,
                        )
                        if any(m.rps for m in runs)
                        else None,
                        "failures": sum(m.failures for m in runs),
                        "timeouts": sum(m.errors["timeout"] for m in runs),
                        "db_connections_max": max(m.db_connections for m in runs),
                    }
                )
    by_name = {t.name: t for t in targets}
    for row in rows:
        target = by_name[row["target"]]
        key = (row["path"], row["connections"])
        floor = medians.get((target.floor, *key))
        blog = medians.get((target.blog, *key)) if target.blog and target.kind != "blog" else None
        row["ratio_floor"] = round(row["rps"] / floor, 3) if floor else None
        row["ratio_blog"] = round(row["rps"] / blog, 3) if blog else None
        goal = TARGET_RATIOS.get(row["target"]) if target.kind == "service" else None
        if goal is not None and row["path"] == "/idle":
            goal = 1.0  # "/idle never slower than the blog's"
        row["goal_ratio_blog"] = goal
    return rows


def machine() -> dict[str, Any]:
    model, cpus = platform.processor() or "unknown", os.cpu_count() or 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    wrk_version = subprocess.run(
        ["wrk", "--version"], capture_output=True, text=True, check=False
    ).stdout.split(" [")[0]
    return {
        "cpu_model": model,
        "cpus": cpus,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "os": _os_name(),
        "runner_python": platform.python_version(),
        "wrk": wrk_version.strip(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def markdown(results: dict[str, Any]) -> str:
    """The Markdown report: one table per path and concurrency, then the row checks."""
    m, s = results["machine"], results["settings"]
    lines = [
        f"# perf: {results['started']}",
        "",
        f"Machine: {m['cpu_model']}, {m['cpus']} CPUs, {m['memory_gib']} GiB, {m['os']}, "
        f"Linux {m['kernel']}; {results['database']['version']}; {m['wrk']}; load average at "
        f"start {', '.join(map(str, m['load_average_at_start']))}.",
        f"Each target one worker on CPU {_cpus(s['target_cpus'])}; wrk (-t1) and the database "
        f"on CPU {_cpus(s['load_cpus'])}. {s['rows']:,} rows; warm-up {s['warmup_s']} s per "
        f"target and path; {s['rounds']} interleaved round(s) of {s['duration_s']} s per "
        "target, path and concurrency; medians.",
        "",
        "req/s is the median over the rounds (min-max in the JSON); p50/p99 in ms; x floor: "
        "over the bare floor of the same stack; x blog: over the blog's app of the same "
        "framework (goal in brackets); cpu: the target's CPU time in cores (below about 0.9 "
        "the target was not what limited the run: the load side or a neighbour was, so compare "
        "its row with care); us/req: the target's CPU time per request, which a busy machine "
        "disturbs less than req/s; conns: database connections it held after a run (max); "
        "failures: non-2xx/3xx answers and socket errors other than timeouts (timeouts after "
        "the slash).",
    ]
    for path in s["paths"]:
        for connections in s["connections"]:
            lines += [
                "",
                f"## {path}, {connections} connections",
                "",
                "| target | req/s | p50 | p99 | x floor | x blog | cpu | us/req | conns "
                "| failures |",
                "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
            ]
            for row in results["summary"]:
                if (row["path"], row["connections"]) != (path, connections):
                    continue
                blog = _ratio(row["ratio_blog"])
                if row["goal_ratio_blog"] is not None and row["ratio_blog"] is not None:
                    mark = "ok" if row["ratio_blog"] >= row["goal_ratio_blog"] else "below"
                    blog += f" (≥{row['goal_ratio_blog']:.1f}: {mark})"
                lines.append(
                    f"| {row['target']} | {row['rps']:,.0f} | {row['p50_ms']:.2f} "
                    f"| {row['p99_ms']:.2f} | {_ratio(row['ratio_floor'])} | {blog} "
                    f"| {row['target_cpu']:.2f} | {_number(row['cpu_us_per_request'])} "
                    f"| {row['db_connections_max']} "
                    f"| {row['failures']}/{row['timeouts']} |"
                )
    lines += ["", "## Rows", "", "| target | `/demo` rows |", "|---|---|"]
    for target in results["targets"]:
        lines.append(f"| {target['name']} | {target['rows']} |")
    return "\n".join(lines) + "\n"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _cpus(cpus: Sequence[int]) -> str:
    return ",".join(map(str, cpus))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nox -s perf --", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="one short round on a small table, for CI (--rows 20000 --rounds 1 --duration 1"
        " --warmup 0)",
    )
    parser.add_argument("--rows", type=int, help="blog rows to load (default 1,000,000)")
    parser.add_argument("--rounds", type=int, help="interleaved measuring rounds (default 5)")
    parser.add_argument("--duration", type=int, help="seconds per wrk run (default 3)")
    parser.add_argument(
        "--warmup", type=int, help="seconds of warm-up per target and path (default 1; 0: none)"
    )
    parser.add_argument(
        "--connections", type=int, nargs="+", default=[64, 512], help="wrk -c values"
    )
    parser.add_argument("--paths", nargs="+", default=["/demo", "/idle"])
    parser.add_argument("--timeout", type=int, default=2, help="wrk's request timeout, s")
    parser.add_argument("--target", action="append", help="only these targets (repeatable)")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="TARGET:NAME=VALUE",
        help="extra environment for one target, e.g. django:DB_POOL_SIZE=4 (repeatable)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "results", help="results folder")
    args = parser.parse_args(argv)
    smoke = {"rows": 20_000, "rounds": 1, "duration": 1, "warmup": 0}
    full = {"rows": 1_000_000, "rounds": 5, "duration": 3, "warmup": 1}
    for key, value in (smoke if args.smoke else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.env_for = {}
    for item in args.env:
        target, _, assignment = item.partition(":")
        name, sep, value = assignment.partition("=")
        if not sep:
            parser.error(f"--env wants TARGET:NAME=VALUE, not {item!r}")
        args.env_for.setdefault(target, {})[name] = value
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        parser.error("needs at least two CPUs: one for the target, one for wrk and the database")
    args.target_cpus = {available[-1]}
    args.load_cpus = set(available[:-1])
    if not shutil.which("wrk"):
        parser.error("wrk is not installed (Debian: apt-get install wrk)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # The database server, wrk and this process stay off the targets' core: set before the
    # kit starts MariaDB, which inherits it. run_service() pins each target itself.
    os.sched_setaffinity(0, args.load_cpus)
    targets = build_targets(args.target)
    combos = [(p, c) for c in args.connections for p in args.paths]
    started_at = datetime.now(UTC)
    results: dict[str, Any] = {
        "schema": SCHEMA,
        "started": started_at.strftime(TIMESTAMP_FORMAT),
        "machine": machine(),
        "settings": {
            "smoke": args.smoke,
            "rows": args.rows,
            "rounds": args.rounds,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "paths": args.paths,
            "wrk_timeout_s": args.timeout,
            "target_cpus": sorted(args.target_cpus),
            "load_cpus": sorted(args.load_cpus),
            "env": args.env_for,
        },
    }
    measurements: list[Measurement] = []
    log_dir = Path(tempfile.mkdtemp(prefix="perf-logs-"))
    with provide_database(prefix="perf") as database:
        print(f"seeding {args.rows:,} rows...", flush=True)
        seconds = seed(database, args.rows)
        allow_connections(database, 8000)
        results["database"] = {
            "version": "MariaDB/MySQL " + str(database.execute("SELECT VERSION()")[0][0]),
            "rows": int(database.execute("SELECT COUNT(*) FROM demo_data")[0][0]),
            "seed_s": round(seconds, 1),
        }
        print(f"starting {len(targets)} targets (logs: {log_dir})...", flush=True)
        with started(targets, database, args, log_dir) as running:
            checks = {r.target.name: check_rows(r.target, r.url, database) for r in running}
            # Warm-up at the highest concurrency (pools and caches fill), not counted.
            for r in running if args.warmup else ():
                for path in args.paths:
                    measurements.append(
                        measure(
                            r,
                            path=path,
                            connections=max(args.connections),
                            seconds=args.warmup,
                            round_=0,
                            args=args,
                            database=database,
                        )
                    )
            for round_ in range(1, args.rounds + 1):
                print(f"round {round_}/{args.rounds}", flush=True)
                for path, connections in combos:
                    for r in rotated(running, round_ - 1):
                        m = measure(
                            r,
                            path=path,
                            connections=connections,
                            seconds=args.duration,
                            round_=round_,
                            args=args,
                            database=database,
                        )
                        measurements.append(m)
                        print(
                            f"  {m.target:<15} {path:<6} c{connections:<4} {m.rps:>9,.0f} req/s"
                            f"  p99 {m.p99_ms:7.2f} ms  failures {m.failures}",
                            flush=True,
                        )
    results["finished"] = datetime.now(UTC).strftime(TIMESTAMP_FORMAT)
    results["targets"] = [
        {
            "name": t.name,
            "kind": t.kind,
            "stack": t.stack,
            "framework": t.framework,
            "command": list(t.spec.command),
            "cwd": str(t.spec.path.relative_to(ROOT)),
            "venv_of": t.spec.name,
            "rows": checks[t.name],
            "warmup_failures": sum(
                m.failures for m in measurements if m.round == 0 and m.target == t.name
            ),
        }
        for t in targets
    ]
    results["summary"] = summarise(targets, measurements, args)
    results["measurements"] = [{**vars(m), "failures": m.failures} for m in measurements]

    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"perf-{started_at.strftime('%Y%m%dT%H%M%SZ')}"
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    report = markdown(results)
    stem.with_suffix(".md").write_text(report)
    print(report)
    print(f"results: {stem.with_suffix('.json')}\nreport:  {stem.with_suffix('.md')}")

    # Our own code must serve correct rows without a failed request; the blog's may not.
    broken = [
        t["name"] for t in results["targets"] if t["kind"] != "blog" and t["rows"] != "ok"
    ] + [row["target"] for row in results["summary"] if row["kind"] != "blog" and row["failures"]]
    if broken:
        print(f"FAILED: {sorted(set(broken))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
