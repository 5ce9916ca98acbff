"""The pool's turns: bounded, first come first served, and a timeout that frees nothing."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.db import Turns


def test_waiters_are_served_in_arrival_order() -> None:
    turns = Turns(2, timeout=5)
    served: list[int] = []

    def request(number: int) -> None:
        with turns.turn():
            served.append(number)
            time.sleep(0.03)

    threads = [threading.Thread(target=request, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
        time.sleep(0.005)  # arrive in order
    for thread in threads:
        thread.join()
    assert served == list(range(6))


def test_no_turn_within_the_timeout_is_a_pool_timeout() -> None:
    turns = Turns(1, timeout=0.05)
    with turns.turn():
        started = time.monotonic()
        with pytest.raises(PoolTimeoutError), turns.turn():
            pass
        assert 0.05 <= time.monotonic() - started < 1
    with turns.turn():  # the timed-out waiter took nothing away
        pass


def test_never_more_holders_than_turns() -> None:
    turns = Turns(3, timeout=5)
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
