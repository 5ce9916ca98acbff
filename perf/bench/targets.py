"""The servers under test: the four services, five bare floors and the blog's four apps.

Services start by their Dockerfile's CMD in their own pinned environments (the contract kit's
``run_service``). The floors run from ``perf/floors/wsgi`` and ``perf/floors/asgi``, each
folder with its own pinned environment. The blog's apps run from ``perf/blog/`` in the pinned
environment of the service of their framework (``BorrowedSpec``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from contract.netutil import free_port
from contract.services import ServiceSpec, discover
from perf.bench.results import Role

PERF = Path(__file__).resolve().parent.parent
FLOORS = PERF / "floors"
BLOG = PERF / "blog"

GUNICORN_GEVENT, UVICORN_UVLOOP = "gunicorn + gevent", "uvicorn + uvloop"
MYSQLCLIENT_GREENIFY = "mysqlclient + greenify"
GUNICORN_GTHREAD, MYSQLCLIENT_THREADS = "gunicorn gthread", "mysqlclient (threads)"
# Each service's stack, as the ladder names its layers:
# (stack, server, framework, driver, data library).
SERVICE_LAYERS = {
    "django": ("gevent", GUNICORN_GEVENT, "Django", MYSQLCLIENT_GREENIFY, "Django ORM"),
    "django-threads": ("threads", GUNICORN_GTHREAD, "Django", MYSQLCLIENT_THREADS, "Django ORM"),
    "flask": ("gevent", GUNICORN_GEVENT, "Flask", MYSQLCLIENT_GREENIFY, "dataset"),
    "flask-threads": ("threads", GUNICORN_GTHREAD, "Flask", MYSQLCLIENT_THREADS, "dataset"),
    "fastapi": ("asyncio", UVICORN_UVLOOP, "FastAPI", "aiomysql", "databases"),
    "starlette": ("asyncio", UVICORN_UVLOOP, "Starlette", "aiomysql", "databases"),
}
FLOOR_OF_STACK = {"gevent": "floor-gevent", "asyncio": "floor-asyncio", "threads": "floor-gthread"}

# The services' uvicorn settings that change the per-request work (services/*/app/__main__.py).
UVICORN = (
    "uvicorn", "--host", "127.0.0.1", "--loop", "uvloop", "--http", "httptools",
    "--ws", "none", "--no-access-log", "--log-level", "warning",
)  # fmt: skip
UVICORN_AS_SERVICES = ("--no-proxy-headers", "--no-server-header")


@dataclass(frozen=True)
class BorrowedSpec(ServiceSpec):
    """A blog app run from a perf/ folder in a service's pinned virtualenv.

    ``name`` stays the service's, so the kit reuses that service's environment; the command
    runs in ``path`` (a folder of perf/), never in the service's folder.
    """

    borrowed_requirements: Path = Path()

    @property
    def requirements(self) -> Path:
        return self.borrowed_requirements


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
    targets = []
    for name, spec in services.items():
        stack, server, framework, driver, library = SERVICE_LAYERS[name]
        role = Role(
            name, "service", stack, spec.folder, FLOOR_OF_STACK[stack], f"blog-{spec.folder}",
            server, framework, driver, library,
        )  # fmt: skip
        targets.append(Target(role, spec, free_port()))

    targets += [
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
    targets += _blog_apps(services)
    if selected:
        missing = set(selected) - {t.name for t in targets}
        if missing:
            known = [t.name for t in targets]
            raise SystemExit(f"unknown target(s) {sorted(missing)}; known: {known}")
        targets = [t for t in targets if t.name in selected]
    return targets


def _blog_apps(services: dict[str, ServiceSpec]) -> list[Target]:
    # One gunicorn configuration for the blog's Django and Flask apps, as the blog ran both;
    # uvicorn as the old code ran the blog's FastAPI and Starlette apps (proxy headers on).
    gunicorn = ("gunicorn", "-c", "../gunicorn.conf.py")
    apps: dict[str, tuple[str, tuple[str, ...] | None]] = {
        "django": ("django", (*gunicorn, "blog.wsgi")),
        "flask": ("flask", (*gunicorn, "app:app")),
        "fastapi": ("fastapi", None),
        # The blog's Starlette app imports pydantic, which Starlette's pins lack: FastAPI's
        # environment has the same Starlette release and pydantic.
        "starlette": ("fastapi", None),
    }
    targets = []
    for framework, (venv, gunicorn_command) in apps.items():
        stack, server, framework_name, driver, _ = SERVICE_LAYERS[framework]
        port = free_port()
        spec = BorrowedSpec(
            name=services[venv].name,
            path=BLOG / framework,
            command=gunicorn_command or _uvicorn("main:app", port),
            borrowed_requirements=services[venv].requirements,
        )
        role = Role(
            f"blog-{framework}", "blog", stack, framework, FLOOR_OF_STACK[stack], None,
            server, framework_name, driver, "the blog's code",
        )  # fmt: skip
        targets.append(Target(role, spec, port))
    return targets
