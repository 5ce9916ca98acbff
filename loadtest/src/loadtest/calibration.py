"""The instrument measured alone, and the marks on a step that it may have distorted.

- ``calibrate_generator``: the generator (``openloop``) against a target that does no work,
  pinned where the services run, at the rates the run will offer: its own p99 and its CPU per
  request. A target in Python answers in tens of microseconds, so the figure is an upper bound
  of what the generator adds.
  A rate whose window would mark the steps is measured again (up to three windows).
- ``injector_cost``: a latency injector's own added latency and CPU per round trip, from the
  same round trips made directly and through it.
- ``marks``: why a step's figures are the instrument's as much as the service's. A step is
  marked when the instrument's own p99 at that rate exceeds a tenth of the SLO; when the load
  side's cores were busy over ``BUSY_LIMIT`` of the window (the generator is then queued
  behind other work, and its delays count as the service's latency: 80 % leaves a core's worth
  of scheduling slack of a few ms per 20 ms, under the SLO's tenth); when over 1 % of the
  sends were late by over a tenth of the SLO, in the step or in the generator's calibration (a
  frozen or starved generator sends late, and its latency, taken from the write, misses the
  wait: the p99 may miss a tenth of the SLO); or when other work took over a quarter of a core
  (other processes, or a shared host's hypervisor: its steal is named in the mark).

``python -m loadtest.calibration [PORT]`` serves the no-work target (it prints its port).
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from loadtest import openloop
from loadtest.cpu import process_cpu_seconds

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Iterator, Sequence

log = logging.getLogger("loadtest")

BUSY_LIMIT = 0.8  # share of the load side's cores
OWN_P99_SHARE = 0.1  # of the SLO
# Of a step's sends, late by over a tenth of the SLO (openloop): past 1 %, the p99 may miss it.
LATE_SHARE = 0.01
OTHERS_LIMIT = 0.25  # cores
TRIES = 3  # windows at most per calibrated rate
START_TIMEOUT = 10.0
BODY = b'{"status":"idle"}'
ANSWER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(BODY)).encode()
    + b"\r\n\r\n"
    + BODY
)


@dataclass(frozen=True)
class Point:
    """The generator alone at one offered rate."""

    offered_rps: float
    achieved_rps: float
    p50_ms: float
    p99_ms: float
    generator_us_per_request: float | None
    late_share: float  # of the sends: the generator alone could not keep its schedule
    worst_late_ms: float
    load_cpus_busy: float | None


@dataclass(frozen=True)
class InjectorCost:
    """What a latency injector adds per round trip, beyond the delay it is asked for."""

    added_p50_ms: float
    added_p99_ms: float
    cpu_us_per_round_trip: float


@dataclass(frozen=True)
class Calibration:
    points: tuple[Point, ...]
    injector: InjectorCost | None = None

    def at(self, rate: float) -> Point | None:
        """The point at the lowest calibrated rate at or above ``rate`` (the highest one beyond
        them): never a rate below the one offered."""
        if not self.points:
            return None
        ordered = sorted(self.points, key=lambda p: p.offered_rps)
        return next((p for p in ordered if p.offered_rps >= rate), ordered[-1])


def marks(
    window: openloop.Window,
    calibration: Calibration | None,
    *,
    slo_ms: float,
    others_cores: float | None = None,
    stolen_cores: float = 0.0,
    failed_on_latency: bool = False,
) -> list[str]:
    """Why this step measured the instrument too; empty when nothing says so.

    Late sends only hide waiting (latency is taken from the write): a step whose p99 broke the
    SLO anyway failed all the more, so they mark only a step that did not fail on latency.
    """
    found = []
    alone = calibration.at(window.offered_rps) if calibration else None
    if alone is not None and alone.p99_ms > OWN_P99_SHARE * slo_ms:
        found.append(f"the generator's own p99 is {alone.p99_ms:.1f} ms (over a tenth of the SLO)")
    if alone is not None and alone.late_share > LATE_SHARE:
        found.append(
            f"the generator alone sent {alone.late_share:.1%} late, by up to "
            f"{alone.worst_late_ms:.0f} ms"
        )
    if window.load_cpus_busy is not None and window.load_cpus_busy > BUSY_LIMIT:
        found.append(f"the load side's cores were {window.load_cpus_busy:.0%} busy")
    if window.late > LATE_SHARE * max(window.sent, 1) and not failed_on_latency:
        found.append(
            f"{window.late} of {window.sent} sends late by up to {window.worst_late_ms:.0f} ms "
            f"(its {window.connections} connections all busy, or the generator held up)"
        )
    if others_cores is not None and others_cores > OTHERS_LIMIT:
        found.append(
            f"other work took {others_cores:.2f} cores"
            + (f", the hypervisor's share {stolen_cores:.2f}" if stolen_cores >= 0.01 else "")
        )
    return found


def calibrate_generator(
    rates: Sequence[float],
    *,
    cpus: Collection[int] | None,
    target_cpus: Collection[int] | None,
    window: float,
    slo_ms: float = 50.0,
    on_start: Callable[[int], None] | None = None,
) -> list[Point]:
    """The generator against the no-work target at each rate, as the run will offer them.

    A rate whose window would mark the steps is measured again, up to ``TRIES`` windows, and
    the best kept: one pause elsewhere (the database flushing its fresh table on the load core)
    would otherwise mark every step at that rate for the whole run, while a generator that
    cannot hold the rate shows it in every window.
    """
    points = []
    with no_work_target(target_cpus) as url:
        for rate in rates:
            tried: list[Point] = []
            while len(tried) < TRIES and (not tried or _distorted(tried[-1], slo_ms)):
                measured = openloop.offer(
                    url, rate, window, cpus=cpus, slo_ms=slo_ms, on_start=on_start
                )
                tried.append(point(measured))
            if len(tried) > 1:
                log.info("calibration at %g req/s: %d windows, p99 %s ms", rate, len(tried),
                         ", ".join(f"{p.p99_ms:.1f}" for p in tried))  # fmt: skip
            points.append(min(tried, key=lambda p: (_distorted(p, slo_ms), p.p99_ms)))
    return points


def _distorted(alone: Point, slo_ms: float) -> bool:
    """Whether this point would mark the steps at its rate (``marks``' first two reasons)."""
    return alone.p99_ms > OWN_P99_SHARE * slo_ms or alone.late_share > LATE_SHARE


def point(measured: openloop.Window) -> Point:
    """A window against the no-work target as a calibration point."""
    latency = measured.histogram.summary()
    per_request = measured.generator_us_per_request
    return Point(
        offered_rps=measured.offered_rps,
        achieved_rps=round(measured.achieved_rps, 1),
        p50_ms=latency.p50,
        p99_ms=latency.p99,
        generator_us_per_request=None if per_request is None else round(per_request, 1),
        late_share=round(measured.late / max(measured.sent, 1), 4),
        worst_late_ms=measured.worst_late_ms,
        load_cpus_busy=measured.load_cpus_busy,
    )


@contextmanager
def no_work_target(cpus: Collection[int] | None = None) -> Iterator[str]:
    """The no-work target in a process of its own (pinned to ``cpus``); yields its URL."""
    command = [sys.executable, "-m", "loadtest.calibration"]
    if cpus:
        command = ["taskset", "-c", ",".join(map(str, sorted(cpus))), *command]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            port = int(process.stdout.readline() or 0)
            if not port:
                raise RuntimeError("the no-work target did not start")
            yield f"http://127.0.0.1:{port}/idle"
        finally:
            process.terminate()
            process.wait(timeout=START_TIMEOUT)


def injector_cost(
    direct: Callable[[], None],
    through: Callable[[], None],
    *,
    injector_pid: int,
    rounds: int = 2000,
) -> InjectorCost:
    """Round trips made by ``direct`` and by ``through`` (the same, via the injector at no
    delay), alternately: the difference of their latencies and the injector's CPU each."""
    plain: list[float] = []
    via: list[float] = []
    cpu_before = process_cpu_seconds(injector_pid)
    for _ in range(rounds):
        for call, into in ((direct, plain), (through, via)):
            started = time.perf_counter()
            call()
            into.append(time.perf_counter() - started)
    cpu = process_cpu_seconds(injector_pid) - cpu_before
    return InjectorCost(
        added_p50_ms=round((statistics.median(via) - statistics.median(plain)) * 1000, 3),
        added_p99_ms=round((_p99(via) - _p99(plain)) * 1000, 3),
        cpu_us_per_round_trip=round(cpu / rounds * 1e6, 1),
    )


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


class _NoWork(asyncio.Protocol):
    """Answers every request on the connection with the same bytes, reading nothing else."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.pending = b""

    def data_received(self, data: bytes) -> None:
        self.pending += data
        if (requests := self.pending.count(b"\r\n\r\n")) > 0:
            self.pending = self.pending[self.pending.rfind(b"\r\n\r\n") + 4 :]
            self.transport.write(ANSWER * requests)


async def _serve(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_NoWork, "127.0.0.1", port, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
