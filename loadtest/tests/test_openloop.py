"""The one-machine generator: wrk sends the offered rate, spread, and every answer is counted.

Real wrk against real local servers: the no-work target (a process of its own) and small
servers in this process where the test must see what arrived.
"""

from __future__ import annotations

import itertools
import os
import statistics
import subprocess
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING

import pytest
from fake_http import JsonHandler, QuietServer, serving

from loadtest import openloop
from loadtest.calibration import no_work_target

if TYPE_CHECKING:
    from collections.abc import Iterator


class Recorder(QuietServer):
    """Notes when each request arrives and what it asked for; answers as /idle does, or with
    ``status``."""

    def __init__(self, status: int = 200) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.status = status
        self.arrivals: list[tuple[float, str]] = []
        self.lock = threading.Lock()


class Handler(JsonHandler):
    server: Recorder

    def do_GET(self) -> None:  # http.server's naming
        with self.server.lock:
            self.server.arrivals.append((time.monotonic(), self.path))
        self.answer(self.server.status, {"status": "idle"})


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    with serving(Recorder()) as server:
        yield server


def test_the_offered_rate_is_sent_and_every_answer_counted() -> None:
    with no_work_target() as url:
        window = openloop.offer(url, 500, 2.0)
    assert abs(window.sent - 1000) <= 1  # the schedule's slots within the window
    assert window.answered == window.sent
    # wrk's histogram and its answer count are two counters; with sends late on a busy
    # machine they have been seen to differ by up to 1.4 %.
    assert window.histogram.count == pytest.approx(window.answered, rel=0.03)
    assert window.failures == 0
    assert window.achieved_rps == pytest.approx(500, rel=0.01)
    assert window.generator_cpu_s > 0
    assert 0 < window.histogram.summary().p50 < 50


def test_arrivals_are_spread_at_the_offered_rate(recorder: Recorder) -> None:
    """Without the schedule wrk runs closed loop, flat out; with a schedule per connection its
    connections would fire together. Either way the gaps between arrivals collapse."""
    rate = 200.0
    openloop.offer(recorder.url + "/idle", rate, 2.0)
    times = sorted(t for t, _ in recorder.arrivals)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == pytest.approx(400, abs=2)
    assert statistics.median(gaps) == pytest.approx(1 / rate, rel=0.3)


def test_nothing_is_sent_after_the_window(recorder: Recorder) -> None:
    """Flat out (every slot already due), sends stop with the window, not when wrk does: what
    is answered then is what the window sent."""
    window = openloop.offer(recorder.url + "/idle", 1e6, 1.0, connections=2)
    times = sorted(t for t, _ in recorder.arrivals)
    assert times[-1] - times[0] < 1.05
    assert window.answered == len(times)


def test_the_paths_are_cycled(recorder: Recorder) -> None:
    paths = ["/demo?name=a", "/demo?name=b%20c", "/demo?name=d"]
    openloop.offer(recorder.url + "/demo", 150, 1.0, paths=paths)
    asked = Counter(path for _, path in recorder.arrivals)
    assert set(asked) == set(paths)
    assert max(asked.values()) - min(asked.values()) <= 1


def test_error_statuses_are_failures() -> None:
    with serving(Recorder(status=503)) as server:
        window = openloop.offer(server.url + "/idle", 100, 1.0)
    assert window.answered > 0
    assert window.errors == {"status": window.answered}
    assert window.failures == window.answered
    assert window.achieved_rps == 0


def test_a_busy_load_core_is_seen() -> None:
    """Whatever else runs on the generator's cores counts: here, a process spinning there."""
    (core, *_) = sorted(os.sched_getaffinity(0), reverse=True)
    spinner = subprocess.Popen(["taskset", "-c", str(core), "python3", "-c", "while True: pass"])
    try:
        time.sleep(0.2)
        with no_work_target() as url:
            window = openloop.offer(url, 100, 1.0, cpus={core})
    finally:
        spinner.kill()
        spinner.wait()
    assert window.load_cpus_busy is not None
    assert window.load_cpus_busy > 0.9


def test_connections_cover_the_slo_at_the_rate() -> None:
    assert openloop.connections_for(4000, 50) == 200
    assert openloop.connections_for(10, 50) == openloop.MIN_CONNECTIONS
    assert openloop.connections_for(1e6, 50) == openloop.MAX_CONNECTIONS


def test_a_run_without_its_summary_is_refused() -> None:
    with pytest.raises(openloop.GeneratorError, match="no summary"):
        openloop.parse("Running 1s test @ http://127.0.0.1:1/\nPANIC: unprotected error\n")
