"""The bounded pool with stand-in connections: its bound, its timeout and its repairs."""

import threading
import time

import pytest

from config.db.pool import ConnectionPool, ConnectTimeout, PoolTimeout


class FakeConnection:
    def __init__(self) -> None:
        self.closed = False
        self.alive = True

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


def make_pool(
    factory: Factory, size: int = 2, timeout: float = 0.05
) -> ConnectionPool[FakeConnection]:
    return ConnectionPool(
        factory, lambda c: c.alive, max_size=size, timeout=timeout, connect_timeout=1
    )


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


def test_waits_at_most_timeout_when_all_are_busy() -> None:
    pool = make_pool(Factory(), size=2, timeout=0.1)
    pool.acquire()
    pool.acquire()
    started = time.monotonic()
    with pytest.raises(PoolTimeout):
        pool.acquire()
    assert 0.1 <= time.monotonic() - started < 0.5


def test_a_released_connection_wakes_a_waiter() -> None:
    pool = make_pool(Factory(), size=1, timeout=2)
    busy, _ = pool.acquire()
    threading.Timer(0.05, pool.release, [busy], {"reusable": True}).start()
    assert pool.acquire()[0] is busy


def test_broken_connections_are_closed_and_their_slot_freed() -> None:
    factory = Factory()
    pool = make_pool(factory, size=1)
    broken, _ = pool.acquire()
    pool.release(broken, reusable=False)
    assert broken.closed
    fresh, new = pool.acquire()
    assert new
    assert fresh is not broken


def test_idle_connections_the_server_closed_are_replaced() -> None:
    factory = Factory()
    pool = make_pool(factory, size=1)
    stale, _ = pool.acquire()
    pool.release(stale, reusable=True)
    stale.alive = False
    fresh, new = pool.acquire()
    assert new
    assert stale.closed
    assert fresh is not stale


def test_failed_connects_give_the_slot_back() -> None:
    factory = Factory()
    pool = make_pool(factory, size=1)
    factory.down = True
    for _ in range(3):
        with pytest.raises(ConnectionRefusedError):
            pool.acquire()
    factory.down = False
    assert pool.acquire()[1]


def test_close_closes_idle_now_and_busy_on_release() -> None:
    factory = Factory()
    pool = make_pool(factory)
    idle, _ = pool.acquire()
    busy, _ = pool.acquire()
    pool.release(idle, reusable=True)
    pool.close()
    assert idle.closed
    assert not busy.closed
    pool.release(busy, reusable=True)
    assert busy.closed


def test_never_more_than_max_size_under_concurrency() -> None:
    factory = Factory()
    pool = make_pool(factory, size=3, timeout=5)
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


def test_a_connect_that_overruns_keeps_its_slot_until_it_ends() -> None:
    unblock = threading.Event()
    made: list[FakeConnection] = []

    def slow_connect() -> FakeConnection:
        unblock.wait(5)
        made.append(FakeConnection())
        return made[-1]

    pool = ConnectionPool(
        slow_connect, lambda c: True, max_size=1, timeout=0.05, connect_timeout=0.05
    )
    with pytest.raises(ConnectTimeout):
        pool.acquire()
    with pytest.raises(PoolTimeout):  # the stuck connect still holds the only slot
        pool.acquire()
    unblock.set()
    deadline = time.monotonic() + 2
    while not (made and made[0].closed) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert made[0].closed  # opened too late: closed, and its slot freed
    connection, new = pool.acquire()
    assert new
    assert connection is not made[0]
