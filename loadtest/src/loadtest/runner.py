"""``python -m loadtest run`` and ``worker``: locust as a library, one target after another.

For each target and scenario: start the users, let them warm up (not counted), open the
measuring window on every load-generating process (``window.py``), wait ``duration`` seconds,
close it, read locust's own stats and the CPU counters, stop the users. Three topologies:

- ``processes == 1``: users run in this process (``create_local_runner``);
- ``processes > 1``: a master here and that many local ``worker`` processes;
- ``expect_workers > 0``: a master that waits for that many external ``worker`` processes
  (Kubernetes: the chart starts ``python -m loadtest worker --master-host ...``).

Importing this module imports locust, which monkey-patches the process with gevent: the CLI
imports it only for ``run`` and ``worker``. Every wait below has a deadline.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import gevent
from locust import events
from locust.argument_parser import get_empty_argument_parser, setup_parser_arguments
from locust.env import Environment
from locust.runners import MasterRunner, Runner

from loadtest.cpu import cpu_delta, generator_load, machine_busy_seconds, tree_cpu
from loadtest.results import (
    Latency,
    Measurement,
    RunResults,
    Settings,
    describe_environment,
    utc_now,
)
from loadtest.scenarios import DEFAULT_HIT_NAMES, DEFAULT_ROWS, SCENARIOS
from loadtest.window import FLUSH, RESET, WindowControl, serve_window_requests

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

log = logging.getLogger("loadtest")

SPAWN_GRACE = 30.0  # beyond the warm-up, for all users to be running
READY_TIMEOUT = 60.0  # for workers to be ready again after a stop
STOP_GRACE = 15.0  # for local worker processes to exit after quit
MAX_ERRORS = 20  # distinct error messages kept per measurement
SERVICE = "\0service"  # the target's own process group among the watched ones (no clash)


@dataclass(frozen=True)
class Target:
    """A service to measure: a name for the report, its base URL, its process ids if known."""

    name: str
    url: str
    pids: tuple[int, ...] = ()


@dataclass(frozen=True)
class Profile:
    """The load each target gets."""

    users: int = 32
    spawn_rate: float = 32.0
    warmup: float = 10.0
    duration: float = 30.0
    scenarios: tuple[str, ...] = tuple(SCENARIOS)
    generator_bound_at: float = 0.9  # locust's own CPU warning fires at 90 %


@dataclass(frozen=True)
class Topology:
    """Where the users run."""

    processes: int = 1
    expect_workers: int = 0
    master_bind_host: str = "*"
    master_bind_port: int = 5557
    expect_workers_max_wait: float = 300.0


@dataclass(frozen=True)
class Seeded:
    """What the database holds, so demo-hit can regenerate names that exist."""

    seed: int
    rows: int = DEFAULT_ROWS
    hit_names: int = DEFAULT_HIT_NAMES


def locust_options(seeded: Seeded) -> Any:
    """locust's own option namespace (its runners read it), with ours added as in a locustfile.

    Workers receive these from the master with each spawn message.
    """
    parser = get_empty_argument_parser(add_help=False, default_config_files=[])
    # Both are locust's own, unannotated.
    setup_parser_arguments(parser)  # type: ignore[no-untyped-call]
    events.init_command_line_parser.fire(parser=parser)  # type: ignore[no-untyped-call]
    options = parser.parse(args=[])
    options.headless = True
    options.seed, options.rows, options.hit_names = seeded.seed, seeded.rows, seeded.hit_names
    return options


def run(
    targets: list[Target],
    *,
    profile: Profile,
    topology: Topology,
    seeded: Seeded,
    out: Path,
    watch: Mapping[str, tuple[int, ...]] | None = None,
    extra_environment: Mapping[str, str] | None = None,
) -> Path:
    """Measure every target under every scenario; write the results file; return its path.

    ``watch`` names other process trees whose CPU time each window records too (the bench
    watches the database, which shares the machine).
    """
    unknown = set(profile.scenarios) - set(SCENARIOS)
    if unknown:
        raise ValueError(f"unknown scenario(s) {sorted(unknown)}; known: {list(SCENARIOS)}")
    if topology.expect_workers and topology.processes > 1:
        raise ValueError("--processes starts local workers; --expect-workers waits for others")
    started = utc_now()
    environment = Environment(
        user_classes=list(SCENARIOS.values()),
        events=events,
        parsed_options=locust_options(seeded),
    )
    measurements = []
    with _generator(environment, topology) as control:
        for target in targets:
            for scenario in profile.scenarios:
                measurements.append(
                    _measure(
                        environment,
                        control,
                        target=target,
                        scenario=scenario,
                        profile=profile,
                        watch=watch or {},
                    )
                )
    results = RunResults(
        started_at=started,
        finished_at=utc_now(),
        environment=describe_environment(dict(extra_environment or {})),
        settings=Settings(
            users=profile.users,
            spawn_rate=profile.spawn_rate,
            warmup_s=profile.warmup,
            duration_s=profile.duration,
            scenarios=list(profile.scenarios),
            processes=topology.processes,
            expect_workers=topology.expect_workers,
            generator_bound_at=profile.generator_bound_at,
            seed=seeded.seed,
            rows=seeded.rows,
            hit_names=seeded.hit_names,
        ),
        measurements=measurements,
    )
    path = results.write(out)
    log.info("results written to %s", path)
    return path


@contextmanager
def _generator(environment: Environment, topology: Topology) -> Iterator[WindowControl]:
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
    deadline = time.monotonic() + timeout
    while len(master.clients.ready) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{len(master.clients.ready)} of {count} workers ready after {timeout:.0f} s"
            )
        gevent.sleep(0.1)


def _measure(
    environment: Environment,
    control: WindowControl,
    *,
    target: Target,
    scenario: str,
    profile: Profile,
    watch: Mapping[str, tuple[int, ...]],
) -> Measurement:
    runner = control.runner
    environment.host = target.url
    log.info(
        "%s / %s: %d users, warm-up %.0f s", target.name, scenario, profile.users, profile.warmup
    )
    runner.start(profile.users, profile.spawn_rate, user_classes=[SCENARIOS[scenario]])
    try:
        gevent.sleep(profile.warmup)
        _wait_until(
            lambda: runner.user_count >= profile.users,
            SPAWN_GRACE,
            f"{profile.users} users running",
        )
        groups = {SERVICE: target.pids, **watch}
        generator_before = control.exchange(RESET)
        processes_before = {name: tree_cpu(pids) for name, pids in groups.items()}
        machine_before = machine_busy_seconds()
        opened = time.monotonic()
        log.info("%s / %s: measuring %.0f s", target.name, scenario, profile.duration)
        gevent.sleep(profile.duration)
        closed = time.monotonic()
        machine_busy = machine_busy_seconds() - machine_before
        processes_after = {name: tree_cpu(pids) for name, pids in groups.items()}
        generator_after = control.exchange(FLUSH)
        window = closed - opened
        cpu = {name: cpu_delta(processes_before[name], processes_after[name]) for name in groups}
        generator_cpu, utilisation = generator_load(generator_before, generator_after, window)
        service_cpu = cpu.pop(SERVICE) if target.pids else None
        measurement = _summarise(
            environment,
            target=target,
            scenario=scenario,
            window=window,
            service_cpu=service_cpu,
            watched_cpu=cpu,
            machine_busy=machine_busy,
            generator=(generator_cpu, utilisation >= profile.generator_bound_at, utilisation),
        )
    finally:
        runner.stop()
        if isinstance(runner, MasterRunner):
            _wait_for_ready(runner, len(control.nodes()), READY_TIMEOUT)
    log.info(
        "%s / %s: %.0f req/s, p50 %.0f ms, p99 %.0f ms, %d failures%s",
        target.name,
        scenario,
        measurement.rps,
        measurement.latency_ms.p50,
        measurement.latency_ms.p99,
        measurement.failures,
        " (generator-bound)" if measurement.generator_bound else "",
    )
    return measurement


def _wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not {what} after {timeout:.0f} s")
        gevent.sleep(0.1)


def _summarise(
    environment: Environment,
    *,
    target: Target,
    scenario: str,
    window: float,
    service_cpu: float | None,
    watched_cpu: dict[str, float],
    machine_busy: float,
    generator: tuple[float, bool, float],
) -> Measurement:
    """locust's stats for the window, with the CPU figures, as a ``Measurement``."""
    total = environment.stats.total
    errors = sorted(environment.stats.errors.values(), key=lambda e: -e.occurrences)
    generator_cpu, generator_bound, utilisation = generator
    return Measurement(
        target=target.name,
        url=target.url,
        scenario=scenario,
        window_s=round(window, 3),
        requests=total.num_requests,
        failures=total.num_failures,
        rps=round(total.num_requests / window, 1),
        latency_ms=Latency(
            p50=total.get_response_time_percentile(0.5),
            p90=total.get_response_time_percentile(0.9),
            p99=total.get_response_time_percentile(0.99),
            max=round(total.max_response_time, 1),
            avg=round(total.avg_response_time, 1),
        ),
        service_cpu_s=None if service_cpu is None else round(service_cpu, 2),
        service_cpu_cores=None if service_cpu is None else round(service_cpu / window, 3),
        generator_cpu_s=round(generator_cpu, 2),
        generator_utilisation=round(utilisation, 3),
        generator_bound=generator_bound,
        machine_cpu_cores=round(machine_busy / window, 3),
        watched_cpu_s={name: round(seconds, 2) for name, seconds in watched_cpu.items()},
        errors={f"{e.method} {e.name}: {e.error}": e.occurrences for e in errors[:MAX_ERRORS]},
    )


def work(master_host: str, master_port: int) -> None:
    """``python -m loadtest worker``: serve a master until it says quit (or goes away)."""
    environment = Environment(user_classes=list(SCENARIOS.values()), events=events)
    # Gives up after locust's connect retries (about 5 min); quits when the master is silent.
    runner = environment.create_worker_runner(master_host, master_port)
    serve_window_requests(runner)
    runner.greenlet.join()
