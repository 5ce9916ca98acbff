"""locust as the runner's generator: its options, its topologies, its searcher, its workers.

Three topologies (``generator``):

- ``processes == 1``: users run in this process (``create_local_runner``);
- ``processes > 1``: a master here and that many local ``worker`` processes;
- ``expect_workers > 0``: a master that waits for that many external ``worker`` processes
  (Kubernetes: the chart starts ``python -m loadtest worker --master-host ...``).

A step's load is a number of paced users (``scenarios.py``), held a settling time and then
measured over a window opened and closed on every load-generating process at once
(``window.py``), with the window's response times in an HDR histogram merged over the workers
(``latency.py``). Between rate steps only the number of paced users changes. Importing this
module imports locust, which monkey-patches the process with gevent. Every wait has a deadline.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import gevent
from locust import events
from locust.argument_parser import get_empty_argument_parser, setup_parser_arguments
from locust.env import Environment
from locust.runners import STATE_RUNNING, STATE_SPAWNING, MasterRunner, Runner

from loadtest import search
from loadtest.cpu import busy_seconds, cpu_delta, generator_load, tree_cpu
from loadtest.latency import LatencyRecorder
from loadtest.results import PROBE, RATE, Step
from loadtest.scenarios import SCENARIOS, USER_CLASSES
from loadtest.searcher import Searcher
from loadtest.window import FLUSH, RESET, WindowControl, serve_window_requests

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from locust.user import User

    from loadtest.onemachine import Meter
    from loadtest.settings import RunSettings, Target

log = logging.getLogger("loadtest")

SPAWN_GRACE = 30.0  # seconds for the users of a step to be running
READY_TIMEOUT = 60.0  # for workers to be ready again after a stop
STOP_GRACE = 15.0  # for local worker processes to exit after quit
MAX_ERRORS = 20  # distinct error messages kept per step


def locust_options(settings: RunSettings) -> Any:
    """locust's own option namespace (its runners read it), with ours added as in a locustfile.

    Workers receive these from the master with each spawn message.
    """
    parser = get_empty_argument_parser(add_help=False, default_config_files=[])
    # Both are locust's own, unannotated.
    setup_parser_arguments(parser)  # type: ignore[no-untyped-call]
    events.init_command_line_parser.fire(parser=parser)  # type: ignore[no-untyped-call]
    options = parser.parse(args=[])
    options.headless = True
    for name in ("seed", "rows", "hit_names", "user_rate"):  # what the users read
        setattr(options, name, getattr(settings, name))
    return options


class QuietSpawnRate(logging.Filter):
    """Each step starts its users at once by design (their phases are spread by the users
    themselves), so locust's warning about high spawn rates says nothing here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "spawn rate is very high" not in record.getMessage()


def environment(settings: RunSettings) -> Environment:
    """locust's environment for a run, its spawn-rate warning quieted."""
    logging.getLogger("locust.runners").addFilter(QuietSpawnRate())
    return Environment(
        user_classes=list(USER_CLASSES), events=events, parsed_options=locust_options(settings)
    )


class LocustSearcher(Searcher):
    """A search's steps as locust users: ``_offer`` sets the load, ``_measure`` takes one
    window of it."""

    def __init__(  # noqa: PLR0917
        self,
        control: WindowControl,
        target: Target,
        scenario: str,
        round_: int,
        settings: RunSettings,
        meter: Meter,
    ) -> None:
        self.control, self.runner = control, control.runner
        self.target, self.scenario, self.round = target, scenario, round_
        self.settings, self.meter = settings, meter
        self.watch = {}

    def _probe(self) -> Step:
        users = self.settings.probe_users
        self._stop()
        self._offer(users, SCENARIOS[self.scenario].closed)
        step = self._measure(PROBE, users, None, self.settings.warmup_s)
        self._stop()
        return step

    def _rate_step(self, rate: float) -> Step:
        per_user = self.settings.per_user_rate
        users = max(1, round(rate / per_user))
        self._offer(users, SCENARIOS[self.scenario].paced)
        return self._measure(RATE, users, users * per_user, self.settings.settle_s)

    def _offer(self, users: int, user_class: type[User]) -> None:
        self.runner.environment.host = self.target.url
        # Within a tenth of a second: the paced users spread their own phases over one period.
        self.runner.start(users, spawn_rate=max(users, 1) * 10.0, user_classes=[user_class])
        _wait_until(lambda: self.runner.user_count == users, SPAWN_GRACE, f"{users} users running")

    def _stop(self) -> None:
        runner = self.runner
        if runner.state in {STATE_SPAWNING, STATE_RUNNING}:
            runner.stop()
        if isinstance(runner, MasterRunner):
            _wait_for_ready(runner, len(self.control.nodes()), READY_TIMEOUT)

    def _measure(self, kind: str, users: int, offered: float | None, settle: float) -> Step:
        """Settle, then one window: the generator's counts and histogram, every CPU figure."""
        gevent.sleep(settle)
        generator_before = self.control.exchange(RESET)
        self.meter.begin()
        watched_before = {name: tree_cpu(pids) for name, pids in self.watch.items()}
        machine_before = busy_seconds()
        opened = time.monotonic()
        gevent.sleep(self.settings.window_s)
        window = time.monotonic() - opened
        machine_busy = busy_seconds() - machine_before
        watched = {n: cpu_delta(watched_before[n], tree_cpu(p)) for n, p in self.watch.items()}
        service_cpu = self.meter.end()
        generator_after = self.control.exchange(FLUSH)
        generator_cpu, utilisation = generator_load(generator_before, generator_after, window)
        stats = self.runner.environment.stats
        requests, failures = stats.total.num_requests, stats.total.num_failures
        latency = self.control.latency.window.summary()
        reasons = []
        if offered is not None:
            reasons = search.judge(
                self.settings.criteria,
                offered=offered,
                achieved=requests / window,
                requests=requests,
                failures=failures,
                p99=latency.p99,
            )
        errors = sorted(stats.errors.values(), key=lambda e: -e.occurrences)
        step = Step(
            kind=kind,
            users=users,
            offered_rps=offered,
            window_s=round(window, 3),
            requests=requests,
            failures=failures,
            achieved_rps=round(requests / window, 1),
            latency_ms=latency,
            histogram=self.control.latency.window.encode(),
            sustained=None if offered is None else not reasons,
            reasons=reasons,
            service_cpu_s=None if service_cpu is None else round(service_cpu, 3),
            generator_cpu_s=round(generator_cpu, 3),
            generator_utilisation=round(utilisation, 3),
            generator_bound=utilisation >= self.settings.generator_bound_at,
            machine_cpu_cores=round(machine_busy / window, 3),
            watched_cpu_s={name: round(seconds, 3) for name, seconds in watched.items()},
            errors={f"{e.method} {e.name}: {e.error}": e.occurrences for e in errors[:MAX_ERRORS]},
        )
        self._log(step)
        return step


@contextmanager
def generator(environment: Environment, topology: RunSettings) -> Iterator[WindowControl]:
    """A runner of the requested topology, with its workers connected; quit on exit."""
    if topology.expect_workers == 0 and topology.processes <= 1:
        runner: Runner = environment.create_local_runner()
        try:
            yield WindowControl(runner)
        finally:
            runner.quit()
        return
    local = topology.expect_workers == 0
    bind_host = "127.0.0.1" if local else topology.master_bind_host
    bind_port = _free_port() if local else topology.master_bind_port
    master = environment.create_master_runner(bind_host, bind_port)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        control = WindowControl(master)
        if local:
            command = [sys.executable, "-m", "loadtest", "worker", "--master-host", "127.0.0.1"]
            command += ["--master-port", str(bind_port)]
            workers = [subprocess.Popen(command) for _ in range(topology.processes)]
        expected = topology.processes if local else topology.expect_workers
        log.info("waiting for %d worker(s) on %s:%d", expected, bind_host, bind_port)
        _wait_for_ready(master, expected, topology.expect_workers_max_wait)
        yield control
    finally:
        master.quit()
        for worker in workers:
            try:
                worker.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_ready(master: MasterRunner, count: int, timeout: float) -> None:
    ready = lambda: len(master.clients.ready) >= count  # noqa: E731
    _wait_until(ready, timeout, f"{count} workers ready")


def _wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not {what} after {timeout:.0f} s")
        gevent.sleep(0.05)


def work(master_host: str, master_port: int) -> None:
    """``python -m loadtest worker``: serve a master until it says quit (or goes away)."""
    logging.getLogger("locust.runners").addFilter(QuietSpawnRate())
    environment = Environment(user_classes=list(USER_CLASSES), events=events)
    # Gives up after locust's connect retries (about 5 min); quits when the master is silent.
    runner = environment.create_worker_runner(master_host, master_port)
    serve_window_requests(runner, LatencyRecorder(environment.events, worker=True))
    runner.greenlet.join()
