"""The servers under test: the four services, five bare floors and the blog's four apps.

Services start by their Dockerfile's CMD in their own pinned environments (the contract kit's
``run_with_login``). The floors run from ``perf/floors/wsgi`` and ``perf/floors/asgi``, each
folder with its own pinned environment. The blog's apps run from ``perf/blog/<framework>``, each
folder with its own environment, pinned to what the app imports at the blog's date.
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

GUNICORN_GEVENT, UVICORN_UVLOOP = "gunicorn + gevent", "uvicorn + uvloop"
MYSQLCLIENT_GREENIFY = "mysqlclient + greenify"
GUNICORN_GTHREAD, MYSQLCLIENT_THREADS = "gunicorn gthread", "mysqlclient (threads)"
# Each service's layers, as the ladder names them: (server, framework, driver, data library);
# its concurrency model (the ladder's stack) is services.toml's.
SERVICE_LAYERS = {
    "django": (GUNICORN_GEVENT, "Django", MYSQLCLIENT_GREENIFY, "Django ORM"),
    "django-threads": (GUNICORN_GTHREAD, "Django", MYSQLCLIENT_THREADS, "Django ORM"),
    "flask": (GUNICORN_GEVENT, "Flask", MYSQLCLIENT_GREENIFY, "dataset"),
    "flask-threads": (GUNICORN_GTHREAD, "Flask", MYSQLCLIENT_THREADS, "dataset"),
    "fastapi": (UVICORN_UVLOOP, "FastAPI", "asyncmy", "SQLAlchemy (asyncio)"),
    "starlette": (UVICORN_UVLOOP, "Starlette", "aiomysql", "databases"),
}
# The blog's apps, the same way: gevent with greenify for Django and Flask, as the blog ran them;
# FastAPI and Starlette on `databases` over aiomysql, whatever the services use now.
BLOG_LAYERS = {
    "django": ("gevent", GUNICORN_GEVENT, "Django", MYSQLCLIENT_GREENIFY),
    "flask": ("gevent", GUNICORN_GEVENT, "Flask", MYSQLCLIENT_GREENIFY),
    "fastapi": ("asyncio", UVICORN_UVLOOP, "FastAPI", "aiomysql"),
    "starlette": ("asyncio", UVICORN_UVLOOP, "Starlette", "aiomysql"),
}

# The services' uvicorn settings that change the per-request work (services/*/app/__main__.py).
UVICORN = (
    "uvicorn", "--host", "127.0.0.1", "--loop", "uvloop", "--http", "httptools",
    "--ws", "none", "--no-access-log", "--log-level", "warning",
)  # fmt: skip
UVICORN_AS_SERVICES = ("--no-proxy-headers", "--no-server-header")


@dataclass(frozen=True)
class Target:
    """One server under test: what it is, how it starts, where it listens."""

    role: Role
    spec: ServiceSpec
    port: int

    @property
    def name(self) -> str:
        return self.role.name

    @property
    def takes_name(self) -> bool:
        """Whether ``/demo?name=`` is honoured (the blog's apps always draw a random name)."""
        return self.role.kind != "blog"


def _floor(name: str, stack: str, folder: str, server: str, driver: str, **env: str) -> Target:
    """A floor from ``perf/floors/<folder>`` (``wsgi``: gunicorn; ``asgi``: uvicorn)."""
    port = free_port()
    if folder == "wsgi":
        command: tuple[str, ...] = ("gunicorn", "-c", "gunicorn_conf.py", "wsgi_floor:create_app()")
    else:
        command = _uvicorn("asgi_floor:app", port, *UVICORN_AS_SERVICES)
    spec = ServiceSpec(f"floors-{folder}", FLOORS / folder, command, env)
    role = Role(name, "floor", stack, None, None, None, server, None, driver, None)
    return Target(role, spec, port)


def _uvicorn(app: str, port: int, *extra: str) -> tuple[str, ...]:
    return (*UVICORN, *extra, "--port", str(port), app)


def build_targets(selected: Sequence[str] | None = None) -> list[Target]:
    """Every target (or those named), in report order: services, floors, the blog's apps."""
    services = {spec.name: spec for spec in discover()}
    unknown = set(services) - set(SERVICE_LAYERS)
    if unknown:
        raise SystemExit(f"perf/bench/targets.py names no layers for {sorted(unknown)}")
    floors = _floors()
    targets = []
    for name, spec in services.items():
        server, framework, driver, library = SERVICE_LAYERS[name]
        role = Role(
            name, "service", spec.model, spec.folder, _floor_of(floors, spec.model, driver),
            f"blog-{spec.folder}", server, framework, driver, library,
        )  # fmt: skip
        targets.append(Target(role, spec, free_port()))
    targets += floors
    targets += _blog_apps(floors)
    if selected:
        missing = set(selected) - {t.name for t in targets}
        if missing:
            known = [t.name for t in targets]
            raise SystemExit(f"unknown target(s) {sorted(missing)}; known: {known}")
        targets = [t for t in targets if t.name in selected]
    return targets


def _floors() -> list[Target]:
    return [
        _floor(
            "floor-gevent", "gevent", "wsgi", GUNICORN_GEVENT, MYSQLCLIENT_GREENIFY,
            FLOOR_WORKER="gevent", FLOOR_DRIVER="mysqlclient",
        ),
        _floor(
            "floor-gevent-pymysql", "gevent", "wsgi", GUNICORN_GEVENT, "PyMySQL",
            FLOOR_WORKER="gevent", FLOOR_DRIVER="pymysql",
        ),
        _floor(
            "floor-gthread", "threads", "wsgi", GUNICORN_GTHREAD, MYSQLCLIENT_THREADS,
            FLOOR_WORKER="gthread", FLOOR_DRIVER="mysqlclient",
        ),
        _floor(
            "floor-asyncio", "asyncio", "asgi", UVICORN_UVLOOP, "aiomysql",
            FLOOR_DRIVER="aiomysql",
        ),
        _floor(
            "floor-asyncio-asyncmy", "asyncio", "asgi", UVICORN_UVLOOP, "asyncmy",
            FLOOR_DRIVER="asyncmy",
        ),
    ]  # fmt: skip


def _floor_of(floors: Sequence[Target], stack: str, driver: str) -> str:
    """The floor with the same server and driver: its ``/demo`` less its ``/idle`` is the
    ladder's driver rung, so FastAPI on asyncmy is measured against asyncmy, not aiomysql."""
    for floor in floors:
        if (floor.role.stack, floor.role.driver) == (stack, driver):
            return floor.name
    raise SystemExit(f"perf/bench/targets.py has no floor of {stack} on {driver}")


def _blog_apps(floors: Sequence[Target]) -> list[Target]:
    # One gunicorn configuration for the blog's Django and Flask apps, as the blog ran both;
    # uvicorn as the old code ran the blog's FastAPI and Starlette apps (proxy headers on).
    gunicorn = ("gunicorn", "-c", "../gunicorn.conf.py")
    commands = {"django": (*gunicorn, "blog.wsgi"), "flask": (*gunicorn, "app:app")}
    targets = []
    for framework, (stack, server, framework_name, driver) in BLOG_LAYERS.items():
        port = free_port()
        name = f"blog-{framework}"
        # A folder of its own, so an environment of its own: perf/blog/<framework>/requirements.txt.
        spec = ServiceSpec(
            name, BLOG / framework, commands.get(framework) or _uvicorn("main:app", port)
        )
        role = Role(
            name, "blog", stack, framework, _floor_of(floors, stack, driver), None,
            server, framework_name, driver, "the blog's code",
        )  # fmt: skip
        targets.append(Target(role, spec, port))
    return targets
