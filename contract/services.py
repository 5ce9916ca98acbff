"""Start a service as its container would: the Dockerfile's CMD, in an env built from its pins.

One source of truth: the command is read from the last exec-form ``CMD`` of
``services/<name>/Dockerfile`` and run with the service folder as working directory (the
image's ``WORKDIR`` holds the same files), in a virtual environment built by uv from nothing
but ``services/<name>/requirements.txt``. ``services.toml`` lists the targets: a service folder
in one concurrency model, with the environment that selects it; nothing else per service.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shlex
import subprocess
import tempfile
import tomllib
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
from uv import find_uv_bin

from contract.database import Database, ServerAddress
from contract.process import dockerfile_command, free_port, stop_group, tail, wait_ready
from contract.spec import VARIABLES

REPO = Path(__file__).resolve().parent.parent
SERVICES_DIR = REPO / "services"
MANIFEST = Path(__file__).with_name("services.toml")
MODELS = ("gevent", "asyncio", "threads")
VENVS = Path(os.environ.get("CONTRACT_VENVS", REPO / ".venvs"))
# The images run CPython 3.12; build the test environments with the same minor version.
PYTHON = os.environ.get("SERVICE_PYTHON", "3.12")
START_TIMEOUT = 60.0
# Above the services' 20 s graceful period (CONTRACT.md, "Shutdown"), as Kubernetes' 30 s
# terminationGracePeriodSeconds is: a server still draining is never killed by the kit.
STOP_TIMEOUT = 30.0
# What every service gets unless a caller overrides it; CONTRACT.md documents the names.
BASE_ENV = {"WEB_CONCURRENCY": "1", "ACCESS_LOG": "false"}


class ServiceError(RuntimeError):
    """A service could not be built or started."""


@dataclass(frozen=True)
class ServiceSpec:
    """One target: its name, folder, start command, extra environment, known issues, and the
    service folder's name and concurrency model (a folder may be several targets)."""

    name: str
    path: Path
    command: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    # Contract test name -> why this target cannot pass it (the plugin marks it xfail, strict).
    known_issues: Mapping[str, str] = field(default_factory=dict)
    service: str = ""  # the folder under services/; empty: the same as name
    model: str = ""  # "gevent", "asyncio" or "threads"

    @property
    def folder(self) -> str:
        """The service's name: its environment is built once for all its targets."""
        return self.service or self.name

    @property
    def requirements(self) -> Path:
        return self.path / "requirements.txt"


def discover(names: Collection[str] | None = None) -> list[ServiceSpec]:
    """The targets listed in ``services.toml`` (all, or those named), in manifest order."""
    manifest = tomllib.loads(MANIFEST.read_text())
    unknown = set(names or ()) - set(manifest)
    if unknown:
        raise ServiceError(f"unknown target(s) {sorted(unknown)}; known: {list(manifest)}")
    specs = []
    for name, entry in manifest.items():
        if names and name not in names:
            continue
        service = str(entry.get("service", name))
        model = str(entry.get("model", ""))
        if model not in MODELS:
            raise ServiceError(f"{MANIFEST.name}: [{name}] model must be one of {MODELS}")
        path = SERVICES_DIR / service
        specs.append(
            ServiceSpec(
                name=name,
                path=path,
                command=dockerfile_command(path / "Dockerfile"),
                env={str(k): str(v) for k, v in entry.get("env", {}).items()},
                known_issues={str(k): str(v) for k, v in entry.get("known_issues", {}).items()},
                service=service,
                model=model,
            )
        )
    return specs


def ensure_environment(spec: ServiceSpec) -> Path:
    """A virtualenv built only from the service's pins, cached by their hash."""
    digest = hashlib.sha256(spec.requirements.read_bytes()).hexdigest()[:12]
    venv = VENVS / f"{spec.folder}-{digest}"
    VENVS.mkdir(parents=True, exist_ok=True)
    # Parallel sessions (contract and bench) must not build the same venv twice at once.
    with open(VENVS / f".{spec.folder}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / ".complete").exists():
            _uv("venv", "--quiet", "--clear", "--python", PYTHON, str(venv))
            into = ["--python", str(venv / "bin" / "python")]
            _uv("pip", "sync", "--quiet", "--require-hashes", *into, str(spec.requirements))
            (venv / ".complete").touch()
    return venv


def _uv(*args: str) -> None:
    command = [find_uv_bin(), *args]
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ServiceError(f"{shlex.join(command)} failed:\n{result.stdout}{result.stderr}")


@dataclass
class RunningService:
    """A started server process and where to reach it."""

    spec: ServiceSpec
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) for a raw socket."""
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        return host, int(port)

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log, lines)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        return stop_group(self.process, timeout)


def start_service(
    spec: ServiceSpec,
    *,
    database_url: str,
    port: int | str | None = None,
    env: Mapping[str, str] | None = None,
    cpus: Collection[int] | None = None,
    log_dir: Path | None = None,
) -> RunningService:
    """Start ``spec`` by its Dockerfile CMD and return at once (the caller waits and stops it).

    ``port`` is passed as PORT as it is (a string may be one the service must refuse).
    """
    venv = ensure_environment(spec)
    port = free_port() if port is None else port
    inherited = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    environ = {
        **inherited,
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(venv),
        **BASE_ENV,
        **spec.env,
        **(env or {}),
        "DATABASE_URL": database_url,
        "PORT": str(port),
    }
    environ.pop("PYTHONPATH", None)  # nothing from the caller's environment leaks in
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="contract-logs-"))
    log = log_dir / f"{spec.name}-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            list(spec.command),
            cwd=spec.path,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGTERM reaches every worker
        )
    if cpus:
        # Set before the server has had time to fork its workers, which inherit it.
        os.sched_setaffinity(process.pid, set(cpus))
    return RunningService(spec=spec, url=f"http://127.0.0.1:{port}", process=process, log=log)


@contextmanager
def run_with_login(
    spec: ServiceSpec,
    database: Database,
    *,
    via: tuple[str, int] | None = None,
    password: str | None = None,
    require_tls: bool = False,
    url_options: Mapping[str, str] | None = None,
    wait_path: str = "/readyz",
    **options: Any,
) -> Iterator[tuple[RunningService, ServerAddress]]:
    """``spec`` started by ``start_service`` (``options``: its port, env, cpus, log_dir) with a
    SELECT-only login of its own (the server then counts its connections apart), reaching
    ``database`` through ``via`` (a proxy's address) when given; yields the service, once
    ``wait_path`` answers 200, and its login (straight to the server); stops it on exit."""
    login = database.create_reader(
        spec.name.replace("-", "_"), password=password, require_tls=require_tls
    )
    reach = login if via is None else replace(login, host=via[0], port=via[1])
    url = reach.url(database.name, **(url_options or {}))
    service = start_service(spec, database_url=url, **options)
    try:
        with httpx.Client(timeout=2.0) as client:

            def answers() -> bool:
                try:
                    return client.get(service.url + wait_path).status_code == 200
                except httpx.TransportError:
                    return False

            wait_ready(service.process, answers, what=f"{spec.name} ({wait_path})",
                       log=service.log, timeout=START_TIMEOUT, error=ServiceError)  # fmt: skip
        yield service, login
    finally:
        service.stop()
