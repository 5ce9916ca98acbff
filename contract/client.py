"""HTTP helpers for talking to a service the way a client on the wire would."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

import h11
import httpx


def demo_path(name: str) -> str:
    """``/demo?name=...`` with the name percent-encoded as UTF-8 (every reserved byte escaped)."""
    return "/demo?name=" + quote(name, safe="")


@dataclass(frozen=True)
class Answer:
    """What came back for one request of a burst."""

    status: int
    body: bytes
    seconds: float


def burst(
    base_url: str, paths: Sequence[str], timeout: float = 30.0, *, raise_errors: bool = True
) -> list[Answer]:
    """Send every request at once (one connection each); answers in request order. With
    ``raise_errors`` off, a request that got no answer (timeout, reset) is status 0."""
    limits = httpx.Limits(max_connections=len(paths), max_keepalive_connections=len(paths))

    async def one(client: httpx.AsyncClient, path: str) -> Answer:
        started = time.perf_counter()
        try:
            response = await client.get(path)
        except httpx.HTTPError:
            if raise_errors:
                raise
            return Answer(0, b"", time.perf_counter() - started)
        return Answer(response.status_code, response.content, time.perf_counter() - started)

    async def every() -> list[Answer]:
        async with httpx.AsyncClient(base_url=base_url, timeout=timeout, limits=limits) as client:
            return list(await asyncio.gather(*(one(client, path) for path in paths)))

    return asyncio.run(every())


def exchange(address: tuple[str, int], data: bytes, timeout: float = 10.0) -> bytes:
    """Write raw bytes to a server and read until it closes or goes quiet for ``timeout``."""
    chunks = []
    with socket.create_connection(address, timeout=timeout) as sock:
        with contextlib.suppress(OSError):  # it may hang up before reading everything
            sock.sendall(data)
        with contextlib.suppress(TimeoutError, ConnectionError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    return b"".join(chunks)


def statuses(raw: bytes) -> list[int]:
    """The status codes of the HTTP/1.1 responses in a raw byte stream, in order."""
    return [int(code) for code in re.findall(rb"(?m)^HTTP/1\.[01] (\d{3}) ", raw)]


@dataclass(frozen=True)
class RawResponse:
    """One response read off the wire: status, headers (names lower-cased), body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)


def read_responses(raw: bytes, methods: Sequence[str]) -> list[RawResponse]:
    """The responses in a raw byte stream, one per request sent (``methods``, in order).

    h11 parses each (a HEAD's response has no body, hence the methods); it raises
    ``h11.RemoteProtocolError`` on anything that is not valid HTTP/1.1.
    """
    responses = []
    data, closed = raw, False
    for method in methods:
        conn = h11.Connection(h11.CLIENT)
        conn.send(h11.Request(method=method, target="/", headers=[("Host", "test")]))
        conn.send(h11.EndOfMessage())
        conn.receive_data(data)
        if closed:
            conn.receive_data(b"")
        status, headers, body = 0, [], bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                if closed:
                    raise h11.RemoteProtocolError("the stream ended inside a response")
                conn.receive_data(b"")  # all there is: the server closed after it
                closed = True
            elif isinstance(event, h11.Response):
                status = event.status_code
                headers = [(k.decode().lower(), v.decode()) for k, v in event.headers]
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise h11.RemoteProtocolError("the connection closed before a response")
        responses.append(RawResponse(status, headers, bytes(body)))
        data, closed = conn.trailing_data
    return responses
