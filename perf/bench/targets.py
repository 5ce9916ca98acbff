"""The servers under test: the services, five bare floors and the blog's four apps.

Services start by their Dockerfile's CMD in their own pinned environments (the contract kit's
``run_with_login``). The floors run from ``perf/floors/wsgi`` and ``perf/floors/asgi``, the blog's
apps from ``perf/blog/<framework>``: each folder has its own pinned environment (the blog's
pinned to what the app imports at the blog's date).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from contract.process import free_port
from contract.services import ServiceSpec, discover
from perf.bench.results import Role

PERF = Path(__file__).resolve().parent.parent
FLOORS = PERF / "floors"
BLOG = PERF / "blog"

# The ladder's name of each stack's server: gunicorn's worker, or uvicorn.
SERVERS = {
    "gevent": "gunicorn + gevent",
    "threads": "gunicorn gthread",
    "asyncio": "uvicorn + uvloop",
}
GREENIFY, THREADS = "mysqlclient + greenify", "mysqlclient (threads)"
# Each service's layers, as the ladder names them: (framework, driver, data library); its
# concurrency model (the ladder's stack, so its server) is services.toml's.
SERVICE_LAYERS = {
    "django": ("Django", GREENIFY, "Django ORM"),
    "django-threads": ("Django", THREADS, "Django ORM"),
    "flask": ("Flask", GREENIFY, "dataset"),
    "flask-threads": ("Flask", THREADS, "dataset"),
    "fastapi": ("FastAPI", "asyncmy", "SQLAlchemy (asyncio)"),
    "starlette": ("Starlette", "aiomysql", "databases"),
}
# The floors: (stack, driver as the ladder names it, FLOOR_DRIVER). asyncio's run on uvicorn
# (floors/asgi), the others on gunicorn with the stack's worker (floors/wsgi, FLOOR_WORKER).
FLOOR_LAYERS = {
    "floor-gevent": ("gevent", GREENIFY, "mysqlclient"),
    "floor-gevent-pymysql": ("gevent", "PyMySQL", "pymysql"),
    "floor-gthread": ("threads", THREADS, "mysqlclient"),
    "floor-asyncio": ("asyncio", "aiomysql", "aiomysql"),
    "floor-asyncio-asyncmy": ("asyncio", "asyncmy", "asyncmy"),
}
WORKERS = {"gevent": "gevent", "threads": "gthread"}
# The blog's apps, by framework: (stack, framework, driver). gevent with greenify for Django and
# Flask, as the blog ran them; FastAPI and Starlette on `databases` over aiomysql.
BLOG_LAYERS = {
    "django": ("gevent", "Django", GREENIFY),
    "flask": ("gevent", "Flask", GREENIFY),
    "fastapi": ("asyncio", "FastAPI", "aiomysql"),
    "starlette": ("asyncio", "Starlette", "aiomysql"),
}
# One gunicorn configuration for the blog's Django and Flask apps, as the blog ran both;
# uvicorn as the old code ran the blog's FastAPI and Starlette apps (proxy headers on).
BLOG_GUNICORN = {"django": "blog.wsgi", "flask": "app:app"}

# The services' uvicorn settings that change the per-request work (services/*/app/__main__.py).
UVICORN = (
    "uvicorn", "--host", "127.0.0.1", "--loop", "uvloop", "--http", "httptools",
    "--ws", "none", "--no-access-log", "--log-level", "warning",
)  # fmt: skip
UVICORN_AS_SERVICES = ("--no-proxy-headers", "--no-server-header")
GUNICORN_FLOOR = ("gunicorn", "-c", "gunicorn_conf.py", "wsgi_floor:create_app()")


@dataclass(frozen=True)
class Target:
    """One server under test: what it is, how it starts, where it listens."""

    role: Role
    spec: ServiceSpec
    port: int

    @property
    def name(self) -> str:
        return self.role.name


def build_targets(selected: Sequence[str] | None = None) -> list[Target]:
    """Every target (or those named), in report order: services, floors, the blog's apps."""
    targets = []
    for spec in discover():
        if spec.name not in SERVICE_LAYERS:
            raise SystemExit(f"perf/bench/targets.py names no layers for {spec.name!r}")
        framework, driver, library = SERVICE_LAYERS[spec.name]
        role = Role(
            spec.name, "service", spec.model, spec.folder, _floor_of(spec.model, driver),
            f"blog-{spec.folder}", SERVERS[spec.model], framework, driver, library,
        )  # fmt: skip
        targets.append(Target(role, spec, free_port()))
    command: tuple[str, ...]
    for name, (stack, driver, driver_env) in FLOOR_LAYERS.items():
        port, env = free_port(), {"FLOOR_DRIVER": driver_env}
        if stack == "asyncio":
            folder, command = "asgi", _uvicorn("asgi_floor:app", port, *UVICORN_AS_SERVICES)
        else:
            folder, command = "wsgi", GUNICORN_FLOOR
            env = {"FLOOR_WORKER": WORKERS[stack], **env}
        spec = ServiceSpec(f"floors-{folder}", FLOORS / folder, command, env)
        role = Role(name, "floor", stack, None, None, None, SERVERS[stack], None, driver, None)
        targets.append(Target(role, spec, port))
    for framework, (stack, framework_name, driver) in BLOG_LAYERS.items():
        port, name = free_port(), f"blog-{framework}"
        if framework in BLOG_GUNICORN:
            command = ("gunicorn", "-c", "../gunicorn.conf.py", BLOG_GUNICORN[framework])
        else:
            command = _uvicorn("main:app", port)
        role = Role(
            name, "blog", stack, framework, _floor_of(stack, driver), None,
            SERVERS[stack], framework_name, driver, "the blog's code",
        )  # fmt: skip
        # A folder of its own, so an environment of its own: perf/blog/<framework>/requirements.txt.
        targets.append(Target(role, ServiceSpec(name, BLOG / framework, command), port))
    if selected:
        missing = set(selected) - {t.name for t in targets}
        if missing:
            known = [t.name for t in targets]
            raise SystemExit(f"unknown target(s) {sorted(missing)}; known: {known}")
        targets = [t for t in targets if t.name in selected]
    return targets


def _uvicorn(app: str, port: int, *extra: str) -> tuple[str, ...]:
    return (*UVICORN, *extra, "--port", str(port), app)


def _floor_of(stack: str, driver: str) -> str:
    """The floor with the same server and driver: its ``/demo`` less its ``/idle`` is the
    ladder's driver rung, so FastAPI on asyncmy is measured against asyncmy, not aiomysql."""
    for name, (floor_stack, floor_driver, _) in FLOOR_LAYERS.items():
        if (floor_stack, floor_driver) == (stack, driver):
            return name
    raise SystemExit(f"perf/bench/targets.py has no floor of {stack} on {driver}")
