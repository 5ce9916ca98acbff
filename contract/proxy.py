"""A TCP proxy between a service and its database that can add latency, stall or cut the link.

Each service under test reaches MySQL only through its own proxy, so a test can slow the
database down (``delay``), make it stop answering (``stall``) or take it away (``cut``) for
one service without touching the server or the other services. The proxy runs an asyncio loop
in a daemon thread; its controls are plain attribute writes and thread-safe calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any

from contract.netutil import free_port

CHUNK = 65536


class DelayProxy:
    """Listens on 127.0.0.1:``port`` and forwards to ``upstream``.

    ``delay`` is one-way latency added to every chunk the database sends (a latency, not a
    bandwidth limit: chunks are delayed in parallel and stay in order).
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.delay = 0.0
        self._stalled = False
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._call(self._listen())

    @property
    def address(self) -> tuple[str, int]:
        return "127.0.0.1", self.port

    def cut(self) -> None:
        """Refuse new connections and reset the open ones: the database is gone."""
        self._call(self._cut())

    def restore(self) -> None:
        """Accept and forward again, on the same port, with no added latency or stall."""
        self.delay = 0.0
        self._stalled = False
        if self._server is None:
            self._call(self._listen())

    def stall(self) -> None:
        """Keep every connection open but forward nothing more from the database."""
        self._stalled = True

    def close(self) -> None:
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._links):
            writer.transport.abort()
        self._links.clear()

    async def _shutdown(self) -> None:
        await self._cut()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
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

        async def deliver() -> None:
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
            if writer.can_write_eof():
                writer.write_eof()

        sender = asyncio.create_task(deliver())
        try:
            while data := await reader.read(CHUNK):
                queue.put_nowait((loop.time() + (self.delay if delayed else 0.0), data))
        except (ConnectionError, OSError):
            pass
        finally:
            queue.put_nowait((loop.time(), b""))
            with contextlib.suppress(ConnectionError, OSError):
                await sender
