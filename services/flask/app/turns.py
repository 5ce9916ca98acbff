"""First-come-first-served turns in front of SQLAlchemy's pool.

SQLAlchemy's QueuePool hands a connection that comes back to whoever asks next: under gevent a
request arriving then takes it before the waiter it was meant for wakes up, and that waiter
queues again at the back. Most requests wait milliseconds while a few wait out DB_POOL_TIMEOUT
and get a 503. Every checkout takes a turn here first, with as many turns as the pool has
connections, so the pool itself never makes anyone wait; a turn given back goes straight to
the longest waiting request. A waiter interrupted while it waits (``gevent.Timeout``,
``GreenletExit``, any exception) leaves the line, and a turn that reached it meanwhile goes to
the next one.

Lock and futures are the standard library's, gevent's once the worker is monkey-patched.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager

from sqlalchemy.exc import TimeoutError as PoolTimeoutError


class Turns:
    """Up to ``size`` holders at once; the others wait their turn, first come, first served."""

    def __init__(self, size: int, timeout: float) -> None:
        self._lock = threading.Lock()
        self._free = size
        self._waiters: deque[Future[None]] = deque()  # the longest waiting first
        self._timeout = timeout

    @property
    def waiting(self) -> int:
        """How many requests wait for a turn."""
        return len(self._waiters)

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold a turn for the block; waits at most ``timeout`` seconds for one."""
        self._take()
        try:
            yield
        finally:
            self._give()

    def _take(self) -> None:
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return
            waiter: Future[None] = Future()
            self._waiters.append(waiter)
        try:
            waiter.result(timeout=self._timeout)  # set by _give(): our turn
        except BaseException as error:
            with self._lock:
                arrived = waiter.done()
                if not arrived:
                    self._waiters.remove(waiter)
            if not arrived:
                if isinstance(error, TimeoutError):
                    raise PoolTimeoutError(
                        f"no database connection freed up within {self._timeout} s"
                    ) from None
                raise
            if not isinstance(error, TimeoutError):
                self._give()  # interrupted: the turn goes to the next in line
                raise
            # else the turn arrived as the wait ran out: keep it

    def _give(self) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set_result(None)  # straight to the longest waiting
            else:
                self._free += 1
