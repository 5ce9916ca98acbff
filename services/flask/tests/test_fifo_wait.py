"""The pool's wait: bounded, first come first served, and interruptions that lose no place."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.db import FifoWait

SERVICE = Path(__file__).resolve().parent.parent


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.001)


def test_waiters_are_served_in_arrival_order() -> None:
    wait = FifoWait(1, timeout=10)
    served: list[int] = []

    def request(number: int) -> None:
        wait.acquire()
        served.append(number)
        wait.release()

    wait.acquire()
    threads = [threading.Thread(target=request, args=(n,)) for n in range(6)]
    for number, thread in enumerate(threads, 1):
        thread.start()
        wait_until(lambda: len(wait._waiters) == number)  # noqa: B023  # queued in this order
    wait.release()
    for thread in threads:
        thread.join(10)
    assert served == list(range(6))


def test_no_place_within_the_timeout_is_a_pool_timeout() -> None:
    wait = FifoWait(1, timeout=0.05)
    wait.acquire()
    started = time.monotonic()
    with pytest.raises(PoolTimeout):
        wait.acquire()
    assert time.monotonic() - started >= 0.05
    wait.release()
    wait.acquire()  # the timed-out waiter took nothing away


def test_never_more_holders_than_places() -> None:
    wait = FifoWait(3, timeout=10)
    holding = peak = 0
    lock = threading.Lock()

    def request() -> None:
        nonlocal holding, peak
        wait.acquire()
        with lock:
            holding += 1
            peak = max(peak, holding)
        time.sleep(0.01)
        with lock:
            holding -= 1
        wait.release()

    threads = [threading.Thread(target=request) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 3


INTERRUPTED = """
from gevent import monkey

monkey.patch_all()

import gevent

from app.db import FifoWait

wait = FifoWait(1, timeout=5)
wait.acquire()


def waiter(seconds):
    with gevent.Timeout(seconds):
        wait.acquire()


greenlet = gevent.spawn(waiter, {seconds})
gevent.sleep(0)  # it queues
{interrupt}
gevent.sleep(0)
with gevent.Timeout(1, False):  # whoever asks next has the place at once
    wait.acquire()
    print("served", len(wait._waiters), wait._free, greenlet.dead)
"""


@pytest.mark.parametrize(
    ("seconds", "interrupt"),
    [
        (0.01, "gevent.sleep(0.05); wait.release()  # gevent.Timeout ends the wait"),
        (5, "greenlet.kill(); wait.release()  # GreenletExit ends the wait"),
    ],
)
def test_an_interrupted_waiter_loses_no_place(seconds: float, interrupt: str) -> None:
    script = textwrap.dedent(INTERRUPTED.format(seconds=seconds, interrupt=interrupt))
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=SERVICE, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["served", "0", "0", "True"], result.stderr
