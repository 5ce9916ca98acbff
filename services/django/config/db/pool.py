"""A bounded pool of DB-API connections that serves waiting callers first come, first served.

``max_size`` tokens, each an idle connection or an empty slot (``None``). A token given back
goes straight to the longest waiting caller: with a ``queue.Queue`` a newcomer could take it
first, and a few callers would wait seconds while most wait milliseconds. The standard
library's lock and futures serve threads, and greenlets once gevent has patched them.
"""

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Protocol


class Connection(Protocol):
    def close(self) -> None: ...


class PoolTimeout(Exception):
    """No pooled connection became free in time."""


class ConnectionPool[C: Connection]:
    """Up to ``max_size`` connections made by ``connect``, each used for ``max_lifetime`` s."""

    def __init__(
        self,
        connect: Callable[[], C],
        *,
        max_size: int,
        timeout: float,
        max_lifetime: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_size = max_size
        self.timeout = timeout
        self.max_lifetime = max_lifetime
        self._connect = connect
        self._clock = clock
        self._lock = threading.Lock()
        self._idle: list[C] = []  # the most recently returned last
        self._opened: dict[C, float] = {}  # every open connection, idle or busy
        self._empty_slots = max_size
        self._waiters: deque[Future[C | None]] = deque()  # the longest waiting first
        self._invalidated_at = -float("inf")

    @property
    def waiting(self) -> int:
        """How many callers wait for a connection."""
        return len(self._waiters)

    def acquire(self) -> tuple[C, bool]:
        """A connection, and whether it was just opened; waits at most ``timeout`` seconds.

        One older than ``max_lifetime`` or opened before ``invalidate()`` is replaced.
        """
        connection = self._take()
        try:
            if connection is not None:
                opened = self._opened[connection]
                if opened > self._invalidated_at and self._clock() - opened < self.max_lifetime:
                    return connection, False
                self._forget(connection)
                connection = None
            connection = self._connect()
        except BaseException:
            if connection is not None:
                self._forget(connection)
            self._put(None)  # the slot is free again
            raise
        self._opened[connection] = self._clock()
        return connection, True

    def release(self, connection: C, *, reusable: bool) -> None:
        """Give a connection back; one that is not ``reusable`` is closed and its slot freed."""
        if reusable:
            self._put(connection)
        else:
            self._forget(connection)
            self._put(None)

    def invalidate(self) -> None:
        """Replace every connection opened until now when it is next checked out."""
        self._invalidated_at = self._clock()

    def close(self) -> None:
        """Close the idle connections (at exit, when no request is left)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            self._forget(connection)

    def _take(self) -> C | None:
        with self._lock:
            if not self._waiters:  # nobody is ahead in line
                if self._idle:
                    return self._idle.pop()
                if self._empty_slots:
                    self._empty_slots -= 1
                    return None
            waiter: Future[C | None] = Future()
            self._waiters.append(waiter)
        try:
            return waiter.result(timeout=self.timeout)
        except BaseException as error:
            # Timed out or interrupted (gevent.Timeout, GreenletExit): leave the line, and pass
            # on a token that arrived meanwhile, unless it came just in time for a timeout.
            with self._lock:
                arrived = waiter.done()
                if not arrived:
                    self._waiters.remove(waiter)
            if arrived and isinstance(error, TimeoutError):
                return waiter.result()
            if arrived:
                self._put(waiter.result())
            elif isinstance(error, TimeoutError):
                raise PoolTimeout(f"no connection freed up within {self.timeout} s") from None
            raise

    def _put(self, token: C | None) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set_result(token)
            elif token is None:
                self._empty_slots += 1
            else:
                self._idle.append(token)

    def _forget(self, connection: C) -> None:
        self._opened.pop(connection, None)
        with contextlib.suppress(Exception):  # a broken one: closing it is only courtesy
            connection.close()
