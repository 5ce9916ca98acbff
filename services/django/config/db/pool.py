"""A bounded pool of DB-API connections, for threads and for gevent's greenlets alike.

The pool holds exactly ``max_size`` tokens. A token is an idle connection or ``None``, an
empty slot that may open one. Taking a token is the only way to get a connection, so no more
than ``max_size`` connections exist whatever the concurrency, and a caller that finds no token
within ``timeout`` seconds gets ``PoolTimeout``. Idle connections come out first, the most
recently used on top, so a new connection is opened only when none is idle.

Waiting callers are served first come, first served: a token given back goes straight to the
longest waiting caller, never to one that arrived later. (A plain ``queue.Queue`` lets a newcomer
take a token before the waiter it was meant for wakes up; that waiter then queues again at
the back. With 64 requests sharing 10 connections, some waited a second while most waited
milliseconds, perf/README.md.)

A new connection is opened in a helper thread, and the caller waits at most
``connect_timeout`` seconds for it. Under greenify the MySQL handshake waits without any
timeout (see ``_connect`` in base.py), so a server that accepts but never answers would
otherwise hang the request for good; an overrunning connect keeps its slot until it ends.

Lock, thread and futures come from the standard library, looked up when they are created:
under gunicorn's gevent worker they are monkey-patched by then (the thread is a greenlet), so
a waiting request yields to the others instead of blocking the worker.
https://www.gevent.org/api/gevent.monkey.html
"""

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Protocol

logger = logging.getLogger(__name__)


class Connection(Protocol):
    def close(self) -> None: ...


class PoolTimeout(Exception):
    """No pooled connection became free in time."""


class ConnectTimeout(Exception):
    """A new connection was not open within the connect timeout."""


class ConnectionPool[C: Connection]:
    """Up to ``max_size`` connections made by ``connect``, reused while ``is_alive`` says so."""

    def __init__(
        self,
        connect: Callable[[], C],
        is_alive: Callable[[C], bool],
        *,
        max_size: int,
        timeout: float,
        connect_timeout: float,
    ) -> None:
        self.max_size = max_size
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._connect = connect
        self._is_alive = is_alive
        self._lock = threading.Lock()
        self._idle: list[C] = []  # the most recently returned last
        self._empty_slots = max_size
        self._waiters: deque[Future[C | None]] = deque()  # the longest waiting first
        self._closed = False

    def _put(self, connection: C | None) -> None:
        """Give a token back: to the longest waiting caller, if any, else to the pool."""
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set_result(connection)
            elif connection is None:
                self._empty_slots += 1
            else:
                self._idle.append(connection)

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
        except TimeoutError:
            with self._lock:
                if not waiter.done():  # else a token arrived just in time: keep it
                    self._waiters.remove(waiter)
                    raise PoolTimeout(f"no connection freed up within {self.timeout} s") from None
            return waiter.result()

    def acquire(self) -> tuple[C, bool]:
        """A connection, and whether it was just opened; waits at most ``timeout`` seconds."""
        connection = self._take()
        if connection is not None:
            if self._is_alive(connection):
                return connection, False
            # The server closed it while idle (restart, wait_timeout, kill): replace it.
            _close_quietly(connection)
        return self._open(), True

    def _open(self) -> C:
        """A new connection for the slot the caller holds; the slot is freed if it fails."""
        opening: Future[C] = Future()

        def connect() -> None:
            try:
                opening.set_result(self._connect())
            except BaseException as error:
                opening.set_exception(error)

        threading.Thread(target=connect, name="pool-connect", daemon=True).start()
        try:
            return opening.result(timeout=self.connect_timeout)
        except BaseException as error:
            # Failed, timed out, or the caller was interrupted: the slot is freed once the
            # connect is over, which for a connect still running may be much later.
            opening.add_done_callback(self._discard)
            if isinstance(error, TimeoutError):
                raise ConnectTimeout(f"not connected within {self.connect_timeout} s") from None
            raise

    def _discard(self, opening: Future[C]) -> None:
        if opening.exception() is None:
            _close_quietly(opening.result())
        self._put(None)

    def release(self, connection: C, *, reusable: bool) -> None:
        """Give a connection back; one that is not ``reusable`` is closed and its slot freed."""
        if reusable and not self._closed:
            self._put(connection)
        else:
            _close_quietly(connection)
            self._put(None)

    def close(self) -> None:
        """Close the idle connections now and the busy ones when they are released."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._empty_slots += len(idle)
        for connection in idle:
            _close_quietly(connection)


def _close_quietly(connection: Connection) -> None:
    try:
        connection.close()
    except Exception:
        # Already broken; closing it is only courtesy to the server.
        logger.debug("closing a pooled connection failed", exc_info=True)
