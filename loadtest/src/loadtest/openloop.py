"""The one-machine load generator: wrk at an offered rate, open loop, for a window.

``offer`` runs wrk (https://github.com/wg/wrk, compiled C, one thread) with ``paced.lua``: one
schedule of slots 1/rate apart, each request sent at its slot on whichever connection is free,
so the arrivals are spread and the rate does not bend to the service's latency. Latency is
wrk's, from the request's write to the response's last byte, to the microsecond, for every
answer: the script prints wrk's whole histogram and it lands in an HdrHistogram here. A request
is late when it was written over a tenth of the SLO after its slot (every connection busy, or
wrk held up): its latency misses that wait. The count and the worst lateness are returned, and
a step with over 1 % late is marked (``calibration.marks``): its p99 may miss a tenth of the
SLO. The generator's own CPU time is the kernel's account of the wrk
process, all its threads (``getrusage``, printed by the script as wrk ends). Failures are
transport errors, timeouts (wrk's 2 s) and HTTP statuses >= 400; bodies are not read (the
locust scenarios check them).

Measured on this project's 2-core machine (loadtest/README.md, "One-machine generator"), wrk
costs 20-85 µs of CPU per request where locust cost about 330.
"""

from __future__ import annotations

import math
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from loadtest.cpu import busy_seconds
from loadtest.latency import Histogram

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Sequence

SCRIPT = Path(__file__).with_name("paced.lua")
MIN_CONNECTIONS = 16
MAX_CONNECTIONS = 1000  # gunicorn's worker_connections default
STOP_TIMEOUT = 10.0  # seconds for wrk to print its summary after SIGINT
ERROR_KINDS = ("connect", "read", "write", "status", "timeout")
# A send this far behind its slot (x SLO) is late: more would be a tenth of the SLO unmeasured.
LATE_SHARE_OF_SLO = 0.1


class GeneratorError(RuntimeError):
    """wrk is missing, failed, or printed no summary."""


@dataclass(frozen=True)
class Window:
    """One window of offered load: what was sent and answered, how fast, at what cost."""

    offered_rps: float
    window_s: float
    sent: int
    answered: int  # responses of any status
    errors: dict[str, int]  # kind -> count, only kinds that occurred
    late: int  # sends written over a tenth of the SLO after their slot: their latency misses it
    worst_late_ms: float
    histogram: Histogram = field(repr=False)  # microseconds, every answer
    generator_cpu_s: float
    load_cpus_busy: float | None  # busy share of the generator's cores, all processes
    connections: int

    @property
    def failures(self) -> int:
        """Requests lost to a connection error, answers with a status >= 400 or after wrk's
        timeout. A request still unanswered when wrk stops is no failure: it is missing from
        the achieved rate."""
        return sum(self.errors.values())

    @property
    def achieved_rps(self) -> float:
        return (self.answered - self.errors.get("status", 0)) / self.window_s

    @property
    def generator_us_per_request(self) -> float | None:
        return self.generator_cpu_s / self.answered * 1e6 if self.answered else None


def connections_for(rate: float, slo_ms: float) -> int:
    """Enough connections for every request of ``slo_ms`` in flight at once: fewer would make
    sends late before the step fails its SLO; more cost the generator CPU for nothing."""
    wanted = math.ceil(rate * slo_ms / 1000)
    return min(max(wanted, MIN_CONNECTIONS), MAX_CONNECTIONS)


def offer(
    url: str,
    rate: float,
    window: float,
    *,
    paths: Sequence[str] = (),
    cpus: Collection[int] | None = None,
    slo_ms: float = 50.0,
    connections: int | None = None,
    on_start: Callable[[int], None] | None = None,
    at_window_end: Callable[[], None] | None = None,
    drain: bool = True,
) -> Window:
    """Offer ``rate`` requests/s to ``url`` for ``window`` seconds; return what came back.

    ``paths``: cycled through instead of ``url``'s own path (e.g. ``/demo?name=...``).
    ``cpus``: where wrk runs (``taskset``); their busy share over the window is measured.
    The run lasts the window plus a grace of twice the SLO (at least 0.2 s) for the last
    answers (``drain=False``: none, for a load whose answers nobody reads, a step's settling);
    answers; ``on_start`` gets wrk's pid once it runs, ``at_window_end`` is called as the
    window closes (the caller's own counters, e.g. the service's CPU, span the window then).
    """
    wrk = shutil.which("wrk")
    if wrk is None:
        raise GeneratorError("wrk is not installed (Debian: apt-get install wrk)")
    if rate <= 0 or window <= 0:
        raise ValueError("rate and window must be positive")
    connections = connections or connections_for(rate, slo_ms)
    grace = max(0.2, 2 * slo_ms / 1000) if drain else 0.0
    base = urlsplit(url)
    with tempfile.TemporaryDirectory(prefix="openloop-") as tmp:
        arguments = [str(rate), str(window * 1000), str(slo_ms * LATE_SHARE_OF_SLO)]
        if paths:
            listed = Path(tmp) / "paths"
            listed.write_text("".join(f"{path}\n" for path in paths))
            arguments.append(str(listed))
        command = [wrk, "-t1", f"-c{connections}", f"-d{math.ceil(window + grace) + 60}s"]
        command += ["-s", str(SCRIPT), f"{base.scheme}://{base.netloc}{base.path or '/'}"]
        command += ["--", *arguments]
        if cpus:
            command = ["taskset", "-c", ",".join(map(str, sorted(cpus))), *command]
        busy_before = _busy(cpus)
        opened = time.monotonic()
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as process:
            try:
                if on_start:
                    on_start(process.pid)
                time.sleep(max(window - (time.monotonic() - opened), 0))
                busy_after = _busy(cpus)
                elapsed = time.monotonic() - opened
                if at_window_end:
                    at_window_end()
                time.sleep(grace)  # the last answers
                output = _stop(process)
            finally:
                if process.returncode is None:
                    process.kill()
    summary = parse(output)
    return Window(
        offered_rps=rate,
        window_s=window,
        sent=summary.sent,
        answered=summary.answered,
        errors=summary.errors,
        late=summary.late,
        worst_late_ms=summary.worst_late_ms,
        histogram=summary.histogram,
        generator_cpu_s=summary.cpu_seconds,
        load_cpus_busy=_share(busy_before, busy_after, elapsed),
        connections=connections,
    )


def _stop(process: subprocess.Popen[bytes]) -> str:
    """Stop wrk (SIGINT: it prints its summary) and return its output; killed after
    ``STOP_TIMEOUT`` s. The signal is repeated: the kernel may hand it to wrk's worker thread,
    which then stops while the main thread sleeps on; the next one reaches the main thread."""
    deadline = time.monotonic() + STOP_TIMEOUT
    while True:
        process.send_signal(signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            if time.monotonic() > deadline:
                process.kill()
                output, _ = process.communicate()
                break
    return output.decode(errors="replace")


@dataclass(frozen=True)
class Summary:
    sent: int
    answered: int
    errors: dict[str, int]
    late: int
    worst_late_ms: float
    cpu_seconds: float  # wrk's own, all its threads (getrusage at its end)
    histogram: Histogram


def parse(output: str) -> Summary:
    """The ``paced`` line that paced.lua's done() prints."""
    line = next((ln for ln in output.splitlines() if ln.startswith("paced ")), None)
    if line is None:
        raise GeneratorError(f"wrk printed no summary:\n{output[-2000:]}")
    fields = dict(item.split("=", 1) for item in line.split()[1:])
    histogram = Histogram()
    for pair in filter(None, fields["histogram"].split(",")):
        value, count = pair.split(":")
        histogram.record_us(int(value), int(count))
    return Summary(
        sent=int(fields["sent"]),
        answered=int(fields["answered"]),
        errors={kind: int(fields[kind]) for kind in ERROR_KINDS if int(fields[kind])},
        late=int(fields["late"]),
        worst_late_ms=float(fields["worst_late_ms"]),
        cpu_seconds=int(fields["cpu_us"]) / 1e6,
        histogram=histogram,
    )


def _busy(cpus: Collection[int] | None) -> dict[int, float] | None:
    """Busy seconds so far of each of ``cpus`` (``cpu.busy_seconds``'s definition)."""
    if not cpus:
        return None
    return {cpu: busy_seconds([cpu]) for cpu in cpus}


def _share(
    before: dict[int, float] | None, after: dict[int, float] | None, elapsed: float
) -> float | None:
    if before is None or after is None or elapsed <= 0:
        return None
    busy = sum(after[cpu] - before[cpu] for cpu in before)
    return round(busy / (elapsed * len(before)), 3)
