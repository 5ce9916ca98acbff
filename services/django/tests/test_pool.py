"""The bounded pool with stand-in connections: its bound, its order, its timeout and repairs."""

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

import pytest

from config.db import pool as pool_module
from config.db.pool import ConnectionPool, PoolTimeout
from tests.scripts import run


class FakeConnection:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


class Factory:
    """Makes connections, counts the open ones, fails while ``down``."""

    def __init__(self) -> None:
        self.made: list[FakeConnection] = []
        self.down = False

    def __call__(self) -> FakeConnection:
        if self.down:
            raise ConnectionRefusedError
        connection = FakeConnection()
        self.made.append(connection)
        return connection

    @property
    def open(self) -> int:
        return sum(not c.closed for c in self.made)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make_pool(
    factory: Factory, size: int = 2, timeout: float = 0.05, clock: Clock | None = None
) -> ConnectionPool[FakeConnection]:
    return ConnectionPool(
        factory, max_size=size, timeout=timeout, max_lifetime=180, clock=clock or Clock()
    )


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"never {what}"
        time.sleep(0.001)


def waiting(pool: ConnectionPool[FakeConnection], count: int) -> Callable[[], bool]:
    return lambda: pool.waiting == count


def test_reuses_connections() -> None:
    factory = Factory()
    pool = make_pool(factory)
    first, new = pool.acquire()
    assert new
    pool.release(first, reusable=True)
    again, new = pool.acquire()
    assert again is first
    assert not new
    assert len(factory.made) == 1


def test_waits_for_the_timeout_when_all_are_busy() -> None:
    pool = make_pool(Factory(), size=2, timeout=0.1)
    pool.acquire()
    pool.acquire()
    started = time.monotonic()
    with pytest.raises(PoolTimeout):
        pool.acquire()
    assert time.monotonic() - started >= 0.1  # the wait; a stuck one would end the test run
    assert pool.waiting == 0


def test_a_released_connection_wakes_a_waiter() -> None:
    pool = make_pool(Factory(), size=1, timeout=10)
    busy, _ = pool.acquire()
    got: list[FakeConnection] = []
    waiter = threading.Thread(target=lambda: got.append(pool.acquire()[0]))
    waiter.start()
    wait_until(lambda: pool.waiting == 1, "queued")
    pool.release(busy, reusable=True)
    waiter.join(10)
    assert got == [busy]


def test_waiters_are_served_in_arrival_order() -> None:
    pool = make_pool(Factory(), size=1, timeout=10)
    held, _ = pool.acquire()
    served: list[int] = []

    def request(number: int) -> None:
        connection, _ = pool.acquire()
        served.append(number)
        pool.release(connection, reusable=True)

    threads = [threading.Thread(target=request, args=(n,)) for n in range(6)]
    for number, thread in enumerate(threads, 1):
        thread.start()
        wait_until(waiting(pool, number), "queued")  # arrived in this order
    pool.release(held, reusable=True)
    for thread in threads:
        thread.join(10)
    assert served == list(range(6))


def test_broken_connections_are_closed_and_their_slot_freed() -> None:
    factory = Factory()
    pool = make_pool(factory, size=1)
    broken, _ = pool.acquire()
    pool.release(broken, reusable=False)
    assert broken.closed
    fresh, new = pool.acquire()
    assert new
    assert fresh is not broken


def test_failed_connects_give_the_slot_back() -> None:
    factory = Factory()
    pool = make_pool(factory, size=1)
    factory.down = True
    for _ in range(3):
        with pytest.raises(ConnectionRefusedError):
            pool.acquire()
    factory.down = False
    assert pool.acquire()[1]


def test_connections_are_recycled_after_max_lifetime() -> None:
    factory, clock = Factory(), Clock()
    pool = make_pool(factory, size=1, clock=clock)
    old, _ = pool.acquire()
    pool.release(old, reusable=True)
    clock.now = 179.9
    assert pool.acquire() == (old, False)
    pool.release(old, reusable=True)
    clock.now = 180.0
    fresh, new = pool.acquire()
    assert new and fresh is not old
    assert old.closed


def test_invalidate_replaces_every_connection_opened_before() -> None:
    factory, clock = Factory(), Clock()
    pool = make_pool(factory, size=3, clock=clock)
    first, _ = pool.acquire()
    second, _ = pool.acquire()
    pool.release(first, reusable=True)
    clock.now = 1
    pool.invalidate()  # second, busy, is found dead
    pool.release(second, reusable=False)
    clock.now = 2
    fresh, new = pool.acquire()
    assert new and first.closed and second.closed
    pool.release(fresh, reusable=True)
    assert pool.acquire() == (fresh, False)  # opened after: kept
    assert factory.open == 1


def test_close_closes_the_idle_connections() -> None:
    factory = Factory()
    pool = make_pool(factory)
    idle, _ = pool.acquire()
    busy, _ = pool.acquire()
    pool.release(idle, reusable=True)
    pool.close()
    assert idle.closed
    assert not busy.closed


def test_never_more_than_max_size_under_concurrency() -> None:
    factory = Factory()
    pool = make_pool(factory, size=3, timeout=10)
    peak = 0
    lock = threading.Lock()

    def request() -> None:
        nonlocal peak
        connection, _ = pool.acquire()
        with lock:
            peak = max(peak, factory.open)
        time.sleep(0.01)
        pool.release(connection, reusable=True)

    threads = [threading.Thread(target=request) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak == 3
    assert len(factory.made) == 3


def test_idle_connections_are_preferred_to_empty_slots() -> None:
    factory = Factory()
    pool = make_pool(factory, size=3)
    first, _ = pool.acquire()
    second, _ = pool.acquire()
    pool.release(first, reusable=True)
    pool.release(second, reusable=False)  # its slot is now empty
    again, new = pool.acquire()
    assert again is first
    assert not new


INTERRUPTED = """
from config.db.pool import ConnectionPool
from tests.test_pool import Factory

pool = ConnectionPool(Factory(), max_size=1, timeout=5, max_lifetime=180)
held, _ = pool.acquire()


def wait(seconds):
    with gevent.Timeout(seconds):
        pool.acquire()


waiter = gevent.spawn(wait, {seconds})
gevent.sleep(0)  # it queues
{interrupt}
pool.release(held, reusable=True)
gevent.sleep(0)
# Whoever asks next gets the connection at once, and nobody is left in line.
print(pool.acquire()[0] is held, pool.waiting, waiter.dead)
"""


@pytest.mark.parametrize(
    ("seconds", "interrupt"),
    [
        (0.01, "gevent.sleep(0.05)  # gevent.Timeout ends the wait"),
        (5, "waiter.kill()  # GreenletExit ends the wait"),
    ],
)
def test_an_interrupted_waiter_leaves_the_line(seconds: float, interrupt: str) -> None:
    assert run(INTERRUPTED.format(seconds=seconds, interrupt=interrupt)) == ["True", "0", "True"]


class Interrupted(BaseException):
    """What gevent.Timeout and GreenletExit are: not an Exception."""


class InterruptedOnWaking(Future[FakeConnection | None]):
    """A waiter interrupted right after its connection arrived, before it could take it."""

    interrupted = False

    def result(self, timeout: float | None = None) -> FakeConnection | None:
        connection = super().result(timeout)
        if not self.interrupted:
            self.interrupted = True
            raise Interrupted
        return connection


def test_a_connection_given_to_a_waiter_interrupted_on_waking_is_passed_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool = make_pool(Factory(), size=1, timeout=10)
    held, _ = pool.acquire()
    outcome: list[BaseException] = []

    def wait() -> None:
        try:
            pool.acquire()
        except Interrupted as interrupted:
            outcome.append(interrupted)

    monkeypatch.setattr(pool_module, "Future", InterruptedOnWaking)
    waiter = threading.Thread(target=wait)
    waiter.start()
    wait_until(lambda: pool.waiting == 1, "queued")
    monkeypatch.undo()
    pool.release(held, reusable=True)
    waiter.join(10)
    assert outcome and pool.waiting == 0
    assert pool.acquire() == (held, False)
