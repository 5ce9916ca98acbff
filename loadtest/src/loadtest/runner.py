"""``python -m loadtest run`` and ``worker``: locust as a library, a capacity search per target.

For every round, every target (each round starts one further along) and every scenario, one
search (``search.py`` decides its steps): a saturation probe of closed-loop users, then offered
rates of paced users (``scenarios.py``), each held a settling time and then measured over a
window opened and closed on every load-generating process at once (``window.py``), with the
window's response times in an HDR histogram merged over the workers (``latency.py``). Between
rate steps only the number of paced users changes. Three topologies:

- ``processes == 1``: users run in this process (``create_local_runner``);
- ``processes > 1``: a master here and that many local ``worker`` processes;
- ``expect_workers > 0``: a master that waits for that many external ``worker`` processes
  (Kubernetes: the chart starts ``python -m loadtest worker --master-host ...``).

Importing this module imports locust, which monkey-patches the process with gevent: the CLI
imports it only for ``run`` and ``worker``. Every wait below has a deadline, every search a
bounded number of steps.
"""

from __future__ import annotations

import logging
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import gevent
from locust import events
from locust.argument_parser import get_empty_argument_parser, setup_parser_arguments
from locust.env import Environment
from locust.runners import STATE_RUNNING, STATE_SPAWNING, MasterRunner, Runner

from loadtest import search
from loadtest.cpu import PidMeter, cpu_delta, generator_load, machine_busy_seconds, tree_cpu
from loadtest.k8s import MetricsClient, PodMeter
from loadtest.latency import LatencyRecorder
from loadtest.onemachine import WRK, Machine
from loadtest.results import (
    PROBE,
    RATE,
    RunResults,
    Search,
    Step,
    TargetInfo,
    describe_environment,
    git_commit,
    utc_now,
)
from loadtest.scenarios import SCENARIOS, USER_CLASSES
from loadtest.window import FLUSH, RESET, WindowControl, serve_window_requests

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from locust.user import User

    from loadtest.settings import Plan, RunSettings, Target

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


class _QuietSpawnRate(logging.Filter):
    """Each step starts its users at once by design (their phases are spread by the users
    themselves), so locust's warning about high spawn rates says nothing here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "spawn rate is very high" not in record.getMessage()


def run(plan: Plan, out: Path) -> Path:
    """Search every target's capacity under every scenario, ``repeats`` times interleaved;
    write the results file; return its path."""
    plan.check()
    settings, targets = plan.settings.resolved(), plan.targets
    logging.getLogger("locust.runners").addFilter(_QuietSpawnRate())
    started = utc_now()
    environment = Environment(
        user_classes=list(USER_CLASSES), events=events, parsed_options=locust_options(settings)
    )
    searches: list[Search] = []
    progress = _Progress(settings.repeats * len(targets) * len(settings.scenarios))
    # One machine: wrk, calibrated first (onemachine.py); otherwise locust's users.
    machine = Machine.calibrated(settings, targets) if settings.generator == WRK else None
    with nullcontext(machine) if machine else _generator(environment, settings) as control:
        for round_ in range(1, settings.repeats + 1):
            shift = (round_ - 1) % len(targets)
            for target in targets[shift:] + targets[:shift]:
                with _meter(target) as meter:
                    for scenario in settings.scenarios:
                        args = (target, scenario, round_, settings, meter)
                        searcher = (
                            _OpenLoopSearcher(control, *args)
                            if isinstance(control, Machine)
                            else _Searcher(control, *args)
                        )
                        searcher.watch = plan.watch
                        earlier = [
                            s.capacity.rps
                            for s in searches
                            if (s.target, s.scenario) == (target.name, scenario)
                        ]
                        searches.append(searcher.run([rps for rps in earlier if rps]))
                        progress.done(searches[-1], settings.repeats)
    commit, dirty = git_commit(Path(__file__).parent)
    results = RunResults(
        started_at=started,
        finished_at=utc_now(),
        environment=describe_environment(dict(plan.meta)),
        settings=settings,
        labels=dict(plan.labels),
        targets=[TargetInfo(t.name, t.url, t.cpu_allowance, t.cpu_source) for t in targets],
        searches=searches,
        commit=commit,
        dirty=dirty,
        calibration=machine.describe() if machine else [],
    )
    path = results.write(out)
    log.info("results written to %s", path)
    return path


@dataclass
class _Progress:
    """One line per finished search: where the run is, and about how long it has left."""

    total: int
    started: float = field(default_factory=time.monotonic)
    finished: int = 0

    def done(self, found: Search, repeats: int) -> None:
        self.finished += 1
        elapsed = time.monotonic() - self.started
        left = elapsed / self.finished * (self.total - self.finished)
        log.info(
            "%s / %s, round %d of %d: %s after %d steps; %d of %d searches, %.1f min "
            "elapsed, about %.1f min left",
            found.target, found.scenario, found.round, repeats, _describe(found.capacity),
            len(found.rate_steps), self.finished, self.total, elapsed / 60, left / 60,
        )  # fmt: skip


def _describe(capacity: search.Capacity) -> str:
    if capacity.rps is None:
        return "no offered rate sustained"
    bound = "≥ " if capacity.lower_bound else ""
    return f"capacity {bound}{capacity.rps:,.0f} req/s ({capacity.limit} limit)"


class _Meter(Protocol):
    """The target's CPU seconds over a window, if they can be known."""

    def begin(self) -> None: ...

    def end(self) -> float | None: ...


@contextmanager
def _meter(target: Target) -> Iterator[_Meter]:
    if target.pods:
        with PodMeter(target.pods, MetricsClient()) as meter:
            yield meter
    else:
        yield PidMeter(target.pids)  # none: no figure


class _Searcher:
    """One search: the probe, then the rate steps that ``search.next_rate`` asks for.

    The load generator's seam: ``_offer`` sets the load, ``_measure`` takes one window of it.
    """

    def __init__(  # noqa: PLR0917
        self,
        control: WindowControl,
        target: Target,
        scenario: str,
        round_: int,
        settings: RunSettings,
        meter: _Meter,
    ) -> None:
        self.control, self.runner = control, control.runner
        self.target, self.scenario, self.round = target, scenario, round_
        self.settings, self.meter = settings, meter
        self.watch: Mapping[str, tuple[int, ...]] = {}

    def run(self, earlier: list[float]) -> Search:
        settings = self.settings
        quantum = settings.per_user_rate
        steps: list[Step] = []
        try:
            if settings.rates:
                steps.extend(self._rate_step(fixed) for fixed in settings.rates)
            else:
                probe = self._probe()
                steps.append(probe)
                throughput = (probe.requests - probe.failures) / probe.window_s
                plan = search.Plan(
                    start=statistics.median(earlier) if earlier else max(throughput, quantum),
                    first_round=not earlier,
                    resolution=settings.resolution,
                    max_steps=settings.max_steps,
                    max_rate=settings.max_rate,
                    quantum=quantum,
                )
                outcomes: list[search.Outcome] = []
                while (rate := search.next_rate(plan, outcomes)) is not None:
                    steps.append(self._rate_step(rate))
                    outcomes.append(steps[-1].outcome())
        finally:
            self._stop()
        rate_indexes = [i for i, s in enumerate(steps) if s.kind == RATE]
        found = search.capacity(
            [steps[i].outcome() for i in rate_indexes], max_rate=settings.max_rate, quantum=quantum
        )
        return Search(
            round=self.round,
            target=self.target.name,
            scenario=self.scenario,
            steps=steps,
            capacity=search.Capacity(
                rps=found.rps,
                lower_bound=found.lower_bound,
                limit=found.limit,
                step=None if found.step is None else rate_indexes[found.step],
                above=None if found.above is None else rate_indexes[found.above],
            ),
        )

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
        machine_before = machine_busy_seconds()
        opened = time.monotonic()
        gevent.sleep(self.settings.window_s)
        window = time.monotonic() - opened
        machine_busy = machine_busy_seconds() - machine_before
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

    def _log(self, step: Step) -> None:
        what = (
            f"probe, {step.users} users flat out"
            if step.offered_rps is None
            else f"{step.offered_rps:,.0f} req/s offered"
        )
        notes = []
        if step.service_cpu_s is not None:
            notes.append(f"service {step.service_cpu_s / step.window_s:.2f} cores")
        if step.generator_bound:
            notes.append("generator-bound")
        notes.extend(step.marks)
        if step.sustained is not None:
            notes.append("sustained" if step.sustained else f"not sustained: {step.reasons}")
        log.info(
            "%s / %s, round %d: %s: %s req/s, p50 %.2f ms, p99 %.2f ms, %d failed; %s",
            self.target.name, self.scenario, self.round, what, f"{step.achieved_rps:,.0f}",
            step.latency_ms.p50, step.latency_ms.p99, step.failures, ", ".join(notes),
        )  # fmt: skip


class _OpenLoopSearcher(_Searcher):
    """The same search, each load offered by wrk on this machine (``onemachine.py``)."""

    def __init__(self, machine: Machine, *args: Any) -> None:
        self.machine, self.watch = machine, {}
        self.target, self.scenario, self.round, self.settings, self.meter = args

    def _probe(self) -> Step:
        return self._step(None, self.settings.probe_users)

    def _rate_step(self, rate: float) -> Step:
        return self._step(rate, None)

    def _step(self, rate: float | None, connections: int | None) -> Step:
        step = self.machine.step(
            self.target, self.scenario, rate=rate, connections=connections, meter=self.meter,
            watch=self.watch,
        )  # fmt: skip
        self._log(step)
        return step

    def _stop(self) -> None:
        pass  # each window's wrk has exited


@contextmanager
def _generator(environment: Environment, topology: RunSettings) -> Iterator[WindowControl]:
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
    logging.getLogger("locust.runners").addFilter(_QuietSpawnRate())
    environment = Environment(user_classes=list(USER_CLASSES), events=events)
    # Gives up after locust's connect retries (about 5 min); quits when the master is silent.
    runner = environment.create_worker_runner(master_host, master_port)
    serve_window_requests(runner, LatencyRecorder(environment.events, worker=True))
    runner.greenlet.join()
