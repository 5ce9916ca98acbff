"""Recorded numbers for the tests: wrk runs as the benchmark measured them on a 2-core machine.

``measurement()`` rebuilds one run from its main figures (the rest as a clean run has them);
``ROLES`` are the roles of the targets these numbers come from.
"""

from __future__ import annotations

from typing import Any

from perf.bench.results import Measurement, Results, Role, Settings

ROLES = [
    Role("django", "service", "gevent", "django", "floor-gevent", "blog-django",
         "gunicorn + gevent", "Django", "mysqlclient + greenify", "Django ORM"),
    Role("fastapi", "service", "asyncio", "fastapi", "floor-asyncio", "blog-fastapi",
         "uvicorn + uvloop", "FastAPI", "aiomysql", "databases"),
    Role("floor-gevent", "floor", "gevent", None, None, None,
         "gunicorn + gevent", None, "mysqlclient + greenify", None),
    Role("floor-asyncio", "floor", "asyncio", None, None, None,
         "uvicorn + uvloop", None, "aiomysql", None),
    Role("blog-django", "blog", "gevent", "django", "floor-gevent", None,
         "gunicorn + gevent", "Django", "mysqlclient + greenify", "the blog's code"),
    Role("blog-fastapi", "blog", "asyncio", "fastapi", "floor-asyncio", None,
         "uvicorn + uvloop", "FastAPI", "aiomysql", "the blog's code"),
]  # fmt: skip


def measurement(
    target: str,
    path: str,
    rps: float,
    target_cpu: float,
    *,
    round_: int = 1,
    connections: int = 64,
    wrk_cpu: float = 0.1,
    load_cpu: float = 0.5,
    timeouts: int = 0,
    non_200: int = 0,
    p99_ms: float | None = 50.0,
    body_problem: str | None = None,
    **errors: int,
) -> Measurement:
    requests = round(rps * 3)
    counts: dict[str, Any] = {
        "connect": 0, "read": 0, "write": 0, "status": 0,
        "timeout": timeouts, "non_200": non_200, **errors,
    }  # fmt: skip
    return Measurement(
        round=round_,
        target=target,
        path=path,
        connections=connections,
        duration_s=3.0,
        requests=requests,
        rps=rps,
        p50_ms=10.0,
        p90_ms=30.0,
        p99_ms=p99_ms,
        max_ms=2000.0 if timeouts else 90.0,
        errors=counts,
        statuses={"503": non_200} if non_200 else {},
        checked=requests,
        bodies=21,
        body_problem=body_problem,
        target_cpu=target_cpu,
        wrk_cpu=wrk_cpu,
        load_cpu=load_cpu,
        db_connections_peak=10,
    )


# One round at 64 connections, every row CPU-bound and clean: req/s and cpu of the full run of
# 2026-11-27 on a quiet 2-core machine (the services then took their raw-SQL paths).
CLEAN = [
    measurement("django", "/demo", 868, 0.98),
    measurement("django", "/idle", 1738, 0.97),
    measurement("fastapi", "/demo", 1166, 0.98),
    measurement("fastapi", "/idle", 4427, 0.98),
    measurement("floor-gevent", "/demo", 1970, 0.97),
    measurement("floor-gevent", "/idle", 3370, 0.96),
    measurement("floor-asyncio", "/demo", 2433, 0.98),
    measurement("floor-asyncio", "/idle", 10878, 0.97),
    measurement("blog-django", "/demo", 328, 0.96),
    measurement("blog-django", "/idle", 1247, 0.98),
    measurement("blog-fastapi", "/demo", 773, 0.97),
    measurement("blog-fastapi", "/idle", 3420, 0.97),
]


def replaced(runs: list[Measurement], *new: Measurement) -> list[Measurement]:
    """``runs`` with the runs of the same target, path and concurrency replaced by ``new``."""
    keys = {(m.target, m.path, m.connections) for m in new}
    return [m for m in runs if (m.target, m.path, m.connections) not in keys] + list(new)


SETTINGS = Settings(
    smoke=True, rows=20_000, rounds=1, duration_s=1, warmup_s=0, connections=[64],
    paths=["/demo", "/idle"], wrk_timeout_s=2, target_cpus=[1], load_cpus=[0],
)  # fmt: skip


def results(runs: list[Measurement] = CLEAN) -> Results:
    return Results(
        started="2026-12-01T20:24:31Z",
        finished="2026-12-01T20:26:05Z",
        machine={"cpus": 2},
        settings=SETTINGS,
        database={"version": "MariaDB/MySQL 10.11"},
        roles=ROLES,
        targets=[{"name": role.name, "rows": "ok"} for role in ROLES],
        measurements=runs,
    )
