"""The pool's turns: bounded, first come first served, and interruptions that lose nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app import turns as turns_module
from app.turns import Turns

SERVICE = Path(__file__).resolve().parent.parent


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"never {what}"
        time.sleep(0.001)


def waiting(turns: Turns, count: int) -> Callable[[], bool]:
    return lambda: turns.waiting == count


def test_waiters_are_served_in_arrival_order() -> None:
    turns = Turns(1, timeout=10)
    served: list[int] = []

    def request(number: int) -> None:
        with turns.turn():
            served.append(number)

    with turns.turn():
        threads = [threading.Thread(target=request, args=(n,)) for n in range(6)]
        for number, thread in enumerate(threads, 1):
            thread.start()
            wait_until(waiting(turns, number), "queued")  # in this order
    for thread in threads:
        thread.join(10)
    assert served == list(range(6))


def test_no_turn_within_the_timeout_is_a_pool_timeout() -> None:
    turns = Turns(1, timeout=0.05)
    with turns.turn():
        started = time.monotonic()
        with pytest.raises(PoolTimeoutError), turns.turn():
            pass
        assert time.monotonic() - started >= 0.05
        assert turns.waiting == 0
    with turns.turn():  # the timed-out waiter took nothing away
        pass


def test_never_more_holders_than_turns() -> None:
    turns = Turns(3, timeout=10)
    holding = peak = 0
    lock = threading.Lock()

    def request() -> None:
        nonlocal holding, peak
        with turns.turn():
            with lock:
                holding += 1
                peak = max(peak, holding)
            time.sleep(0.01)
            with lock:
                holding -= 1

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

from app.turns import Turns

turns = Turns(1, timeout=5)
holder = turns.turn()
holder.__enter__()


def wait(seconds):
    with gevent.Timeout(seconds), turns.turn():
        pass


waiter = gevent.spawn(wait, {seconds})
gevent.sleep(0)  # it queues
{interrupt}
holder.__exit__(None, None, None)
gevent.sleep(0)
with gevent.Timeout(1, False), turns.turn():  # whoever asks next gets the turn at once
    print("served", turns.waiting, waiter.dead)
"""


@pytest.mark.parametrize(
    ("seconds", "interrupt"),
    [
        (0.01, "gevent.sleep(0.05)  # gevent.Timeout ends the wait"),
        (5, "waiter.kill()  # GreenletExit ends the wait"),
    ],
)
def test_an_interrupted_waiter_leaves_the_line(seconds: float, interrupt: str) -> None:
    script = textwrap.dedent(INTERRUPTED.format(seconds=seconds, interrupt=interrupt))
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=SERVICE, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["served", "0", "True"], result.stderr


class Interrupted(BaseException):
    """What gevent.Timeout and GreenletExit are: not an Exception."""


class InterruptedOnWaking(Future[None]):
    """A waiter interrupted right after its turn arrived, before it could take it."""

    interrupted = False

    def result(self, timeout: float | None = None) -> None:
        super().result(timeout)
        if not self.interrupted:
            self.interrupted = True
            raise Interrupted


def test_a_turn_given_to_a_waiter_interrupted_on_waking_is_passed_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    turns = Turns(1, timeout=10)
    outcome: list[BaseException] = []

    def wait() -> None:
        try:
            with turns.turn():
                pass
        except Interrupted as interrupted:
            outcome.append(interrupted)

    with turns.turn():
        monkeypatch.setattr(turns_module, "Future", InterruptedOnWaking)
        waiter = threading.Thread(target=wait)
        waiter.start()
        wait_until(lambda: turns.waiting == 1, "queued")
        monkeypatch.undo()
    waiter.join(10)
    assert outcome and turns.waiting == 0
    with turns.turn():  # free again
        pass
    assert not turns.waiting
