"""Fixtures: one real database per session, each service started once, behind its own proxy.

Every test that takes ``service`` runs once per selected service (see ``contract.pytest_plugin``).
Tests never branch on the service's name.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from contract.client import burst, demo_path
from contract.database import Database, ServerAddress, provide_database
from contract.fixtures import load_fixtures
from contract.peak import ConnectionPeak
from contract.proxy import DelayProxy
from contract.pytest_plugin import FIGURES, SPECS
from contract.services import RunningService, ServiceSpec, run_with_login, start_service

# Short timeouts keep the failure tests fast; the defaults are CONTRACT.md's business.
TEST_ENV = {
    "WEB_CONCURRENCY": "1",
    "DB_POOL_SIZE": "10",
    "DB_POOL_TIMEOUT": "2",
    "DB_CONNECT_TIMEOUT": "2",
    "DB_QUERY_TIMEOUT": "2",
}
POOL_SIZE = int(TEST_ENV["DB_POOL_SIZE"])
POOL_TIMEOUT = float(TEST_ENV["DB_POOL_TIMEOUT"])
CONNECT_TIMEOUT = float(TEST_ENV["DB_CONNECT_TIMEOUT"])
QUERY_TIMEOUT = float(TEST_ENV["DB_QUERY_TIMEOUT"])
# Worst case for one failing request (CONTRACT.md): a pool wait, a connect, a query; plus a
# second for the HTTP round trip on a slow, busy machine.
FAIL_BOUND = POOL_TIMEOUT + CONNECT_TIMEOUT + QUERY_TIMEOUT + 1.0
# How long a server drains its in-flight requests after SIGTERM (CONTRACT.md, "Shutdown").
GRACEFUL_PERIOD = 20.0


def eventually(check: Callable[[], bool], timeout: float, every: float = 0.05) -> bool:
    """Poll ``check`` until it is true (then True) or ``timeout`` seconds pass (then False)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


class LogWatch:
    """The lines a service's log gains from the moment this is made."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.start = log.stat().st_size

    def lines(self) -> list[str]:
        with open(self.log, "rb") as file:
            file.seek(self.start)
            return [line for line in file.read().decode(errors="replace").splitlines() if line]

    def wait_for(self, word: str, count: int, timeout: float = 5.0) -> list[str]:
        """The new lines, once ``count`` of them hold ``word`` (or the timeout has passed)."""
        eventually(lambda: sum(word in line for line in self.lines()) >= count, timeout)
        return self.lines()


def assert_one_line_events(lines: list[str]) -> None:
    """No traceback and no continuation line: every event on a line of its own."""
    assert not [line for line in lines if "Traceback" in line or line[:1].isspace()], lines


@dataclass
class Deployment:
    """A running service, the proxy it reaches MySQL through, and its own MySQL user."""

    running: RunningService
    proxy: DelayProxy
    login: ServerAddress  # the service's own MySQL user, straight to the server (no proxy)
    database: Database

    @property
    def name(self) -> str:
        return self.running.name

    @property
    def user(self) -> str:
        return self.login.user

    @property
    def url(self) -> str:
        return self.running.url

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10.0, **kwargs)  # type: ignore[arg-type]

    def held_connections(self) -> int:
        return self.database.connections(self.user)

    def log_tail(self) -> str:
        return self.running.log_tail()

    def processes(self) -> list[psutil.Process]:
        """The server's process and every process under it (its workers)."""
        root = psutil.Process(self.running.pid)
        return [root, *root.children(recursive=True)]

    def memory(self) -> int:
        """Resident memory of the whole process tree, in bytes."""
        return sum(process.memory_info().rss for process in self.processes())

    def connection_peak(self, every: float = 0.05) -> ConnectionPeak:
        """The most connections this service holds, read in a thread while the block runs."""
        return ConnectionPeak(self.database, self.user, every)

    def warm(self, connections: int, attempts: int = 5) -> None:
        """Make the pool hold ``connections`` at once, so a measurement is not about connecting.

        Lookups overlap under a little latency, so the pool opens connections; opening one
        costs several round trips, and some pools open them one at a time, hence the retries.
        (A worker that serialises requests never needs a second connection: the measurement
        that follows then shows it.)
        """
        self.proxy.delay = 0.05
        for _ in range(attempts):
            assert all(a.status == 200 for a in burst(self.url, [demo_path("dup")] * connections))
            if self.held_connections() >= connections:
                break
        self.proxy.delay = 0.0


class Deployer:
    """Starts services on demand; each is started once and stopped at session end."""

    def __init__(self, database: Database, specs: list[ServiceSpec], log_dir: Path) -> None:
        self.database = database
        self.specs = {spec.name: spec for spec in specs}
        self.log_dir = log_dir
        self._running: dict[str, Deployment] = {}
        self._stack = ExitStack()

    def get(self, name: str) -> Deployment:
        if name not in self._running:
            self._running[name] = self._stack.enter_context(self.deployed(name))
        return self._running[name]

    @contextmanager
    def deployed(
        self,
        name: str,
        wait_path: str = "/readyz",
        *,
        database_down: bool = False,
        muted: bool = False,
        latency: float = 0.0,
        password: str | None = None,
        require_tls: bool = False,
        url_options: Mapping[str, str] | None = None,
        proxy_host: str = "127.0.0.1",
        **env: str,
    ) -> Iterator[Deployment]:
        """A fresh instance with its own proxy and MySQL user, for as long as the block runs.

        ``database_down`` and ``muted`` start it with its proxy cut or muted; ``latency`` is
        the proxy's delay from the start (the pool fill included); ``password`` the MySQL
        user's (default: a random URL-safe one); ``require_tls`` makes the server refuse that
        user without TLS; ``url_options`` is DATABASE_URL's query (``{"ssl-mode": ...}``);
        ``proxy_host`` the address the proxy listens on, the service's database host.
        """
        with ExitStack() as stack:
            proxy = DelayProxy(self.database.server.host, self.database.server.port, proxy_host)
            stack.callback(proxy.close)
            if database_down:
                proxy.cut()
            if muted:
                proxy.mute()
            proxy.delay = latency
            running, reader = stack.enter_context(
                run_with_login(
                    self.specs[name], self.database, via=proxy.address, password=password,
                    require_tls=require_tls, url_options=url_options, env={**TEST_ENV, **env},
                    wait_path=wait_path, log_dir=self.log_dir,
                )
            )  # fmt: skip
            yield Deployment(running=running, proxy=proxy, login=reader, database=self.database)

    def refused(self, name: str, timeout: float, port: int | str | None = None, **env: str) -> str:
        """Start a fresh instance meant to refuse its configuration; return its log once it
        has exited (non-zero), or fail if it still runs after ``timeout`` seconds."""
        reader = self.database.create_reader(name)
        url = env.pop("DATABASE_URL", None) or reader.url(self.database.name)
        running = start_service(
            self.specs[name],
            database_url=url,
            port=port,
            env={**TEST_ENV, **env},
            log_dir=self.log_dir,
        )
        try:
            code = running.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            running.stop()
            pytest.fail(f"still running after {timeout:.0f} s:\n{running.log_tail()}")
        log = running.log.read_text(errors="replace")
        assert code != 0, f"exited with 0:\n{log}"
        return log

    def close(self) -> None:
        self._stack.close()


@pytest.fixture(scope="session")
def database() -> Iterator[Database]:
    with provide_database() as db:
        load_fixtures(db)
        yield db


@pytest.fixture(scope="session")
def deployer(
    database: Database, pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployer]:
    log_dir = Path(os.environ.get("CONTRACT_LOG_DIR") or tmp_path_factory.mktemp("service-logs"))
    deployer = Deployer(database, pytestconfig.stash[SPECS], log_dir)
    yield deployer
    deployer.close()


@pytest.fixture
def service(deployer: Deployer, service_name: str) -> Iterator[Deployment]:
    """The long-running instance of one service, its proxy reset around each test."""
    deployment = deployer.get(service_name)
    deployment.proxy.restore()
    yield deployment
    deployment.proxy.restore()


@pytest.fixture
def all_services(deployer: Deployer, pytestconfig: pytest.Config) -> list[Deployment]:
    """Every selected service's long-running instance, for side-by-side comparisons."""
    return [deployer.get(spec.name) for spec in pytestconfig.stash[SPECS]]


@pytest.fixture
def record(pytestconfig: pytest.Config, service_name: str) -> Callable[[str, str], None]:
    """``record("recovery", "1.2 s")``: a figure shown in the run's summary, per service."""

    def record(key: str, value: str) -> None:
        pytestconfig.stash[FIGURES][service_name][key] = value

    return record
