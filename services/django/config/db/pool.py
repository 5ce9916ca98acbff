"""A bounded pool of DB-API connections, for threads and for gevent's greenlets alike.

The pool holds exactly ``max_size`` tokens. A token is an idle connection or ``None``, an
empty slot that may open one. Taking a token is the only way to get a connection, so no more
than ``max_size`` connections exist whatever the concurrency, and a caller that finds no token
within ``timeout`` seconds gets ``PoolTimeout``. Idle connections come out first, the most
recently used on top, so a new connection is opened only when none is idle.

Waiting callers are served first come, first served: a token given back goes straight to the
longest waiting caller, never to one that arrived later (with a plain ``queue.Queue`` a
newcomer takes it before the waiter it was meant for wakes up, and that waiter queues again
at the back). A waiter interrupted while it waits (``gevent.Timeout``, ``GreenletExit``, any
exception) leaves the line, and a token that reached it meanwhile goes to the next one.

At checkout, a connection older than ``max_lifetime`` seconds, or opened before the pool was
last invalidated (a dead connection makes the caller invalidate it: the server restarted or
dropped them all), is closed and replaced. This is SQLAlchemy's policy (``pool_recycle``, and
the pool invalidated on a disconnect), so that the two gevent services behave alike.

Lock and futures come from the standard library, looked up when they are created: under
gunicorn's gevent worker they are monkey-patched by then, so a waiting request yields to the
others instead of blocking the worker. https://www.gevent.org/api/gevent.monkey.html
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Protocol

logger = logging.getLogger(__name__)


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
        self._closed = False

    @property
    def waiting(self) -> int:
        """How many callers wait for a connection."""
        return len(self._waiters)

    def _put(self, token: C | None) -> None:
        """Give a token back: to the longest waiting caller, if any, else to the pool."""
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set_result(token)
            elif token is None:
                self._empty_slots += 1
            else:
                self._idle.append(token)

    def _take(self) -> C | None:
        """A token: an idle connection or an empty slot; waits at most ``timeout`` seconds."""
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
            with self._lock:
                arrived = waiter.done()
                if not arrived:
                    self._waiters.remove(waiter)
            if not arrived:
                if isinstance(error, TimeoutError):
                    raise PoolTimeout(f"no connection freed up within {self.timeout} s") from None
                raise
            if isinstance(error, TimeoutError):
                return waiter.result()  # a token arrived just in time: keep it
            self._put(waiter.result())  # interrupted: the token goes to the next in line
            raise

    def acquire(self) -> tuple[C, bool]:
        """A connection, and whether it was just opened; waits at most ``timeout`` seconds."""
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
        if reusable and not self._closed:
            self._put(connection)
        else:
            self._forget(connection)
            self._put(None)

    def invalidate(self) -> None:
        """Replace every connection opened until now when it is next checked out."""
        self._invalidated_at = self._clock()

    def close(self) -> None:
        """Close the idle connections now and the busy ones when they are released."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._empty_slots += len(idle)
        for connection in idle:
            self._forget(connection)

    def _forget(self, connection: C) -> None:
        self._opened.pop(connection, None)
        try:
            connection.close()
        except Exception:
            # Already broken; closing it is only courtesy to the server.
            logger.debug("closing a pooled connection failed", exc_info=True)
