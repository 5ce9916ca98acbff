"""A TCP proxy between a service and its database that can add latency, stall or cut the link.

Each service under test reaches MySQL only through its own proxy, so a test can slow the
database down (``delay``), make it stop answering (``stall``), turn it into a server that
accepts TCP and never greets (``mute``), take it away (``cut``), or let one query's connection
die under it (``kill_next_query``) for one service without touching the server or the other
services. It also tells how many links have a reply held back right now (``held``) and when
each connection was accepted (``accepted``). The proxy runs an asyncio loop in a daemon thread;
its controls are plain attribute writes and thread-safe calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Coroutine
from typing import Any

from contract.process import free_port

CHUNK = 65536


class DelayProxy:
    """Listens on 127.0.0.1:``port`` and forwards to ``upstream``.

    ``delay`` is one-way latency added to every chunk the database sends (a latency, not a
    bandwidth limit: chunks are delayed in parallel and stay in order).
    """

    def __init__(self, upstream_host: str, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.host = host  # any of 127.0.0.0/8 on Linux, e.g. a name a certificate does not hold
        self.port = free_port()
        # How many connections kill_next_query has closed.
        self.killed = 0
        self._kill_hold = 0.0
        self._kills_left = 0
        # time.monotonic() of every connection accepted, in order (muted ones included).
        self.accepted: list[float] = []
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self._silent: set[asyncio.StreamWriter] = set()  # accepted while muted, never greeted
        self._holding: set[object] = set()  # the links with a reply waiting out delay or stall
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.restore()  # listen: no latency, stall, mute or kill yet

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    @property
    def silent(self) -> int:
        """How many connections accepted while muted their clients still hold open."""
        return len(self._silent)

    @property
    def held(self) -> int:
        """How many links have data from the database held back right now (replies in flight)."""
        return len(self._holding)

    def cut(self) -> None:
        """Refuse new connections and reset the open ones: the database is gone."""
        self._call(self._cut())

    def restore(self) -> None:
        """Accept and forward again, on the same port, with no added latency, stall or mute.

        Connections accepted while muted stay silent until their client gives up (or ``cut``):
        what a black hole swallowed, it never answers.
        """
        self.delay = 0.0
        self._stalled = self._muted = False
        self._kill_marker: bytes | None = None
        if self._server is None:
            self._call(self._listen())

    def kill_next_query(self, marker: bytes, hold: float = 0.2, times: int = 1) -> None:
        """The next data a client sends that holds ``marker`` (a query naming it) is held back
        from the server for ``hold`` seconds, then its connection is closed on both sides: a
        pooled connection that dies after checkout, while its query runs. ``times`` such
        queries in a row, one per connection; then queries pass again."""
        self._kill_hold = hold
        self._kills_left = times
        self._kill_marker = marker

    def stall(self) -> None:
        """Keep every connection open but forward nothing more from the database."""
        self._stalled = True

    def mute(self) -> None:
        """A server that accepts TCP and never speaks: new connections are accepted and get no
        greeting (nothing is forwarded upstream), open ones are stalled."""
        self._stalled = True
        self._muted = True

    def close(self) -> None:
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.port)

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in (*self._links, *self._silent):
            writer.transport.abort()
        self._links.clear()
        self._silent.clear()

    async def _shutdown(self) -> None:
        await self._cut()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.accepted.append(time.monotonic())
        if self._muted:  # hold it open and say nothing, until either side gives up
            self._silent.add(client_w)
            try:
                with contextlib.suppress(ConnectionError, OSError):
                    while await client_r.read(CHUNK):
                        pass
            finally:
                self._silent.discard(client_w)
                client_w.transport.abort()
            return
        try:
            server_r, server_w = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_w.transport.abort()
            return
        self._links.update((client_w, server_w))
        pipes = {
            asyncio.create_task(self._pipe(client_r, server_w, delayed=False)),
            asyncio.create_task(self._pipe(server_r, client_w, delayed=True)),
        }
        try:
            # Either side hanging up ends the link: MySQL has no use for half-open sockets.
            _, pending = await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
        finally:
            for writer in (client_w, server_w):
                self._links.discard(writer)
                writer.transport.abort()

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, delayed: bool
    ) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        link = object()  # this pipe's token in _holding while it holds data back
        waiting = 0

        async def deliver() -> None:
            nonlocal waiting
            try:
                while True:
                    due, data = await queue.get()
                    if not data:
                        break
                    if (wait := due - loop.time()) > 0:
                        await asyncio.sleep(wait)
                    while self._stalled and delayed:
                        await asyncio.sleep(0.05)
                    writer.write(data)
                    await writer.drain()
                    waiting -= 1
                    if not waiting:
                        self._holding.discard(link)
                if writer.can_write_eof():
                    writer.write_eof()
            finally:
                self._holding.discard(link)

        sender = asyncio.create_task(deliver())
        try:
            while data := await reader.read(CHUNK):
                if not delayed and self._kill_marker is not None and self._kill_marker in data:
                    self._kills_left -= 1
                    if not self._kills_left:
                        self._kill_marker = None
                    await asyncio.sleep(self._kill_hold)
                    self.killed += 1
                    break  # the link ends: _accept closes both sides, the query never arrives
                queue.put_nowait((loop.time() + (self.delay if delayed else 0.0), data))
                if delayed:
                    waiting += 1
                    self._holding.add(link)
        except (ConnectionError, OSError):
            pass
        finally:
            queue.put_nowait((loop.time(), b""))
            with contextlib.suppress(ConnectionError, OSError):
                await sender
