"""The instrument distorting gets the step marked: a generator slowed, a load core filled, sends
late; and the injector's own cost is measured, not assumed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

import pytest
from fake_http import JsonHandler, QuietServer, serving

from loadtest import calibration, openloop
from loadtest.calibration import Calibration, Point, marks, no_work_target
from loadtest.latency import Histogram

if TYPE_CHECKING:
    from collections.abc import Iterator

SLO_MS = 50.0


def _stutter(pid: int, stop: threading.Event) -> None:
    """Freeze the generator 30 ms out of every 100: a generator that cannot keep up (until it
    exits: its window may end before ``stop`` is set)."""
    try:
        while not stop.wait(0.07):
            os.kill(pid, signal.SIGSTOP)
            time.sleep(0.03)
            os.kill(pid, signal.SIGCONT)
    except ProcessLookupError:
        return


def test_a_slowed_generator_gets_its_steps_marked() -> None:
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def slow_down(pid: int) -> None:
        threads.append(threading.Thread(target=_stutter, args=(pid, stop), daemon=True))
        threads[0].start()

    with no_work_target() as url:
        try:
            slowed = openloop.offer(url, 300, 2.0, on_start=slow_down)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
    point = calibration.point(slowed)
    # Frozen, it sent late; and the answers that came meanwhile waited for it.
    assert point.late_share > 0.1
    step = _window(offered=300)
    assert any("alone sent" in m for m in marks(step, Calibration((point,)), slo_ms=SLO_MS))


def test_a_filled_load_core_gets_the_step_marked() -> None:
    step = _window(offered=300, load_cpus_busy=0.85)
    assert any("cores were 85% busy" in m for m in marks(step, None, slo_ms=SLO_MS))


class Slow(QuietServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SlowHandler)


class SlowHandler(JsonHandler):
    def do_GET(self) -> None:  # http.server's naming
        time.sleep(0.05)
        self.answer(200, {"status": "idle"})


@pytest.fixture
def slow() -> Iterator[Slow]:
    with serving(Slow()) as server:
        yield server


def test_late_sends_get_the_step_marked(slow: Slow) -> None:
    """Two connections to a server taking 50 ms each cannot send 100 requests/s on time: the
    latency measured from the write would hide the wait, so the step says so."""
    window = openloop.offer(slow.url + "/idle", 100, 1.0, connections=2)
    assert window.late > 10
    assert any("sends late" in m for m in marks(window, None, slo_ms=SLO_MS))
    # A step whose p99 broke the SLO anyway failed all the more: its late sends mark nothing.
    assert not any(
        "sends late" in m for m in marks(window, None, slo_ms=SLO_MS, failed_on_latency=True)
    )


def test_a_clean_step_has_no_mark_and_others_on_the_machine_do() -> None:
    quiet = Calibration((Point(1000, 1000, 0.2, 2.0, 30.0, 0.0, 0.0, 0.3),))
    step = _window(offered=800, load_cpus_busy=0.5)
    assert marks(step, quiet, slo_ms=SLO_MS) == []
    assert marks(step, quiet, slo_ms=SLO_MS, others_cores=0.3) == ["other work took 0.30 cores"]
    assert marks(step, quiet, slo_ms=SLO_MS, others_cores=0.3, stolen_cores=0.2) == [
        "other work took 0.30 cores, the hypervisor's share 0.20"
    ]


def test_the_calibration_used_is_the_next_rate_up() -> None:
    low = Point(500, 500, 0.1, 1.0, 40, 0.0, 0.0, 0.2)
    high = Point(2000, 2000, 0.1, 9.0, 20, 0.0, 0.0, 0.5)
    calibrated = Calibration((high, low))
    assert calibrated.at(400) == low
    assert calibrated.at(501) == high
    assert calibrated.at(5000) == high
    assert any("own p99 is 9.0 ms" in m for m in marks(_window(offered=600), calibrated, slo_ms=50))
    assert marks(_window(offered=400), calibrated, slo_ms=50) == []


@pytest.mark.parametrize("stuttering", [1, calibration.TRIES])
def test_a_distorted_calibration_window_is_measured_again(stuttering: int) -> None:
    """A generator frozen in one window (a pause elsewhere) is measured again and not held
    against the run; frozen in every window, the point stays distorted and marks the steps."""
    stop = threading.Event()
    windows: list[int] = []
    threads: list[threading.Thread] = []

    def started(pid: int) -> None:
        windows.append(pid)
        if len(windows) <= stuttering:
            threads.append(threading.Thread(target=_stutter, args=(pid, stop), daemon=True))
            threads[-1].start()

    try:
        (point,) = calibration.calibrate_generator(
            [300], cpus=None, target_cpus=None, window=1.0, on_start=started
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    step = _window(offered=300)
    if stuttering < calibration.TRIES:
        assert len(windows) == stuttering + 1
        assert marks(step, Calibration((point,)), slo_ms=SLO_MS) == []
    else:
        assert len(windows) == calibration.TRIES
        assert marks(step, Calibration((point,)), slo_ms=SLO_MS) != []


def test_calibrating_measures_the_generator_against_no_work() -> None:
    (point,) = calibration.calibrate_generator([400], cpus=None, target_cpus=None, window=1.0)
    assert point.achieved_rps == pytest.approx(400, rel=0.02)
    assert point.generator_us_per_request is not None
    assert point.generator_us_per_request > 0
    assert 0 < point.p50_ms <= point.p99_ms


@contextmanager
def _echo_server() -> Iterator[tuple[str, int]]:
    """Echoes one connection's bytes back, in a thread."""
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def serve() -> None:
            conn, _ = listener.accept()
            with conn:
                while data := conn.recv(64):
                    conn.sendall(data)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        yield listener.getsockname()


FORWARDER = """
import socket, sys, time
upstream = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
listener = socket.create_server(("127.0.0.1", 0))
print(listener.getsockname()[1], flush=True)
conn, _ = listener.accept()
while data := conn.recv(64):
    time.sleep(float(sys.argv[2]))
    upstream.sendall(data)
    conn.sendall(upstream.recv(64))
"""


def _ping(conn: socket.socket) -> None:
    conn.sendall(b"x")
    conn.recv(64)


@pytest.mark.parametrize("delay", [0.0, 0.002])
def test_the_injector_cost_is_its_added_latency_and_cpu(delay: float) -> None:
    """A forwarder in a process of its own, holding each round trip ``delay`` s."""
    with ExitStack() as stack:
        direct_address = stack.enter_context(_echo_server())
        upstream = stack.enter_context(_echo_server())
        forwarder = stack.enter_context(
            subprocess.Popen(
                [sys.executable, "-c", FORWARDER, str(upstream[1]), str(delay)],
                stdout=subprocess.PIPE,
                text=True,
            )
        )
        stack.callback(forwarder.kill)
        assert forwarder.stdout is not None
        port = int(forwarder.stdout.readline())
        direct = stack.enter_context(socket.create_connection(direct_address))
        through = stack.enter_context(socket.create_connection(("127.0.0.1", port)))
        cost = calibration.injector_cost(
            lambda: _ping(direct), lambda: _ping(through), injector_pid=forwarder.pid, rounds=2000
        )  # the kernel counts CPU in 10 ms ticks: enough round trips for several
    assert cost.added_p50_ms == pytest.approx(delay * 1000 + 0.05, abs=0.5)
    assert cost.added_p50_ms > delay * 1000
    assert cost.cpu_us_per_round_trip > 0


def _window(*, offered: float, load_cpus_busy: float | None = None) -> openloop.Window:
    return openloop.Window(
        offered_rps=offered,
        window_s=1.0,
        sent=int(offered),
        answered=int(offered),
        errors={},
        late=0,
        worst_late_ms=0.0,
        histogram=Histogram(),
        generator_cpu_s=0.01,
        load_cpus_busy=load_cpus_busy,
        connections=16,
    )
