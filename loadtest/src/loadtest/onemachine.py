"""The one-machine generator in the runner: each step's load offered by wrk (``openloop``), the
instrument calibrated first (``calibration``), each step marked where it measured the
instrument as well as the service.

Locust stays the generator of a cluster run (its workers scale out there); on one machine its
190-360 µs of CPU per request, on the core it shares with the database, let the load side
decide the answer (issue 17), so ``--generator wrk`` offers the same scenarios open loop at a
quarter to a tenth of that (loadtest/README.md, "One-machine generator", 2026-12-07). The
step's latency is wrk's, from the write of each request to its response's last byte, for every
answer; a send late by over a tenth of the SLO (every connection busy, or wrk held up) is
counted, and past 1 % it marks the step. Bodies are not checked (the locust scenarios do): a
failure is a transport error, a timeout or a status >= 400.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from functools import cache, partial
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode

from loadtest import calibration, openloop, search
from loadtest.cpu import busy_seconds, cpu_delta, parse_cpu_list, stolen_seconds, tree_cpu
from loadtest.names import first_names
from loadtest.results import PROBE, RATE, Step
from loadtest.settings import CALIBRATION_RATES

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

    from loadtest.settings import RunSettings, Target

WRK = "wrk"
PROBE_RATE = 1e6  # requests/s: the probe's connections never wait for a slot (closed loop)


class Meter(Protocol):
    """The target's CPU seconds over a window, if they can be known (the runner's meters)."""

    def begin(self) -> None: ...

    def end(self) -> float | None: ...


@dataclass(frozen=True)
class Machine:
    """The generator's cores and its calibration, shared by every search of a run."""

    settings: RunSettings
    cpus: frozenset[int] | None
    calibration: calibration.Calibration

    @classmethod
    def calibrated(
        cls,
        settings: RunSettings,
        targets: Collection[Target],
        given: Sequence[Mapping[str, Any]] = (),
    ) -> Machine:
        """Calibrate at the rates the run may offer, the no-work target on the first target's
        cores (where the services run), the generator on its own; or take the points ``given``
        (an earlier run's on this machine, e.g. the bench's first phase)."""
        cpus = frozenset(parse_cpu_list(settings.cpus)) if settings.cpus else None
        if given:
            points = [calibration.Point(**point) for point in given]
            return cls(settings, cpus, calibration.Calibration(tuple(points)))
        target_cpus = _cores_of(targets)
        rates = [rate for rate in CALIBRATION_RATES if rate <= settings.max_rate]
        points = calibration.calibrate_generator(
            rates or [settings.max_rate],
            cpus=cpus,
            target_cpus=target_cpus,
            window=settings.window_s,
            slo_ms=settings.slo_ms,
        )
        return cls(settings, cpus, calibration.Calibration(tuple(points)))

    def describe(self) -> list[dict[str, Any]]:
        """The calibration for the results file."""
        return [asdict(point) for point in self.calibration.points]

    def paths(self, scenario: str) -> tuple[str, ...]:
        return _paths(scenario, self.settings.hit_names, self.settings.seed)

    def step(
        self,
        target: Target,
        scenario: str,
        *,
        rate: float | None,
        meter: Meter,
        watch: Mapping[str, tuple[int, ...]],
        connections: int | None = None,
    ) -> Step:
        """Settle at ``rate`` (None: the probe, closed loop), then measure one window."""
        settings = self.settings
        offered = PROBE_RATE if rate is None else rate
        settle = settings.warmup_s if rate is None else settings.settle_s
        offer = partial(
            openloop.offer,
            target.url,
            offered,
            paths=self.paths(scenario),
            cpus=self.cpus,
            slo_ms=settings.slo_ms,
            connections=connections,
        )
        if settle > 0:
            offer(settle, drain=False)  # its answers are not counted: no grace for the last
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}

        def opened(_pid: int) -> None:
            meter.begin()
            before.update(watched=_watched(watch), machine=busy_seconds(), stolen=stolen_seconds())
            before["at"] = time.monotonic()

        def closed() -> None:
            after.update(machine=busy_seconds(), stolen=stolen_seconds(), watched=_watched(watch))
            after.update(service=meter.end(), at=time.monotonic())

        window = offer(settings.window_s, on_start=opened, at_window_end=closed)
        return self._summarise(window, rate, before, after)

    def _summarise(
        self,
        window: openloop.Window,
        rate: float | None,
        before: dict[str, Any],
        after: dict[str, Any],
    ) -> Step:
        settings = self.settings
        seconds = after["at"] - before["at"]
        watched = {
            n: cpu_delta(before["watched"][n], after["watched"][n]) for n in after["watched"]
        }
        service: float | None = after["service"]
        machine = (after["machine"] - before["machine"]) / seconds
        ours = (service or 0.0) + sum(watched.values()) + window.generator_cpu_s
        others = machine - ours / seconds if service is not None else None
        stolen = (after["stolen"] - before["stolen"]) / seconds
        latency = window.histogram.summary()
        reasons: list[str] = []
        marks: list[str] = []
        if rate is not None:
            reasons = search.judge(
                settings.criteria,
                offered=rate,
                achieved=window.achieved_rps,
                requests=window.answered,
                failures=window.failures,
                p99=latency.p99,
            )
            marks = calibration.marks(
                window,
                self.calibration,
                slo_ms=settings.slo_ms,
                others_cores=others,
                stolen_cores=stolen,
                failed_on_latency=search.breaks_slo(settings.criteria, latency.p99),
            )
        utilisation = window.generator_cpu_s / seconds
        return Step(
            kind=PROBE if rate is None else RATE,
            users=window.connections,
            offered_rps=rate,
            # wrk's window, over which its requests were sent: our clock's opens once wrk
            # runs, later by its start on a busy machine (seen: 0.89 s of a 1 s window).
            window_s=window.window_s,
            requests=window.answered,
            failures=window.failures,
            achieved_rps=round(window.achieved_rps, 1),
            latency_ms=latency,
            histogram=window.histogram.encode(),
            sustained=None if rate is None else not reasons,
            reasons=reasons,
            service_cpu_s=None if service is None else round(service, 3),
            generator_cpu_s=round(window.generator_cpu_s, 3),
            generator_utilisation=round(utilisation, 3),
            # A marked step never decides: the search treats it as the generator's limit.
            generator_bound=bool(marks) or utilisation >= settings.generator_bound_at,
            machine_cpu_cores=round(machine, 3),
            watched_cpu_s={name: round(cpu, 3) for name, cpu in watched.items()},
            errors={f"wrk {kind}": count for kind, count in window.errors.items()},
            marks=marks,
        )


@cache
def _paths(scenario: str, hit_names: int, seed: int) -> tuple[str, ...]:
    """The scenario's request paths, made once a run: demo-hit's 10,000 names took a second
    to draw again for each of a step's two wrk runs on a busy 2-core machine."""
    if scenario == "demo-hit":
        names = first_names(hit_names, seed)
        return tuple("/demo?" + urlencode({"name": name}) for name in names)
    return ("/idle" if scenario == "idle" else "/demo",)


def _watched(watch: Mapping[str, tuple[int, ...]]) -> dict[str, dict[tuple[int, float], float]]:
    return {name: tree_cpu(pids) for name, pids in watch.items()}


def _cores_of(targets: Collection[Target]) -> set[int] | None:
    """The cores the first local target may run on: where the no-work target belongs."""
    for target in targets:
        for pid in target.pids:
            try:
                return set(os.sched_getaffinity(pid))
            except OSError:
                continue
    return None
