"""Hostile and malformed HTTP, sent as raw bytes: never a 5xx, never a crash, same answers.

Requests within the contract's limits must get the same answer from every service. Requests
past them (huge request lines or headers) meet each server's own limits (CONTRACT.md, "Limits"):
gunicorn refuses them with a 400, uvicorn with httptools serves what fits its parser's buffers
and closes the connection past that; never a 5xx. After each, the service still answers.
Slow clients and idle connections by the thousand cost memory in proportion and starve no one:
every bound is relative to what the test measured without them, or a contract timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from contract.client import burst, demo_path, exchange, statuses
from contract.database import Database
from contract.tests.conftest import FAIL_BOUND, POOL_SIZE, Deployment

Record = Callable[[str, str], None]
OTHERS = 20  # lookups by well-behaved clients beside the hostile ones
# The most a TCP socket's send buffer grows to (Linux): an answer larger than this and the
# reader's small receive buffer cannot all sit in the kernel, so the server holds the rest.
SEND_BUFFER_MAX = int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
RECEIVE_BUFFER = 4096
BULK_NAME = "bulk " + "y" * 250  # the column's full width: fewest rows for the size
BULK_ROWS = SEND_BUFFER_MAX * 5 // 4 // len(BULK_NAME)
READERS = POOL_SIZE + 5  # more than the pool: one held per slow reader would run out
IDLE = 3000  # past gunicorn's 1000 connections per worker; uvicorn has no limit of its own


def _request(target: bytes, *headers: bytes, body: bytes = b"", method: bytes = b"GET") -> bytes:
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: test", b"Connection: close", *headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _answers(service: Deployment, raw: bytes) -> list[int]:
    return statuses(exchange(service.running.address, raw, timeout=10.0))


def _still_healthy(service: Deployment) -> None:
    with service.client() as client:
        assert client.get(demo_path("dup")).status_code == 200
        assert client.get("/idle").status_code == 200


# Within the limits: each service's exact answer, compared across services.
WITHIN = {
    "body on GET": _request(b"/demo?name=dup", b"Content-Length: 11", body=b"hello world"),
    "chunked body on GET": _request(
        b"/demo?name=dup", b"Transfer-Encoding: chunked", body=b"5\r\nhello\r\n0\r\n\r\n"
    ),
    "thousand parameters": _request(b"/demo?name=dup" + b"&p=1" * 1000),
    "pipelined": (
        _request(b"/idle").replace(b"Connection: close", b"Connection: keep-alive")
        + _request(b"/demo?name=dup").replace(b"Connection: close", b"Connection: keep-alive")
        + _request(b"/healthz")
    ),
    "HTTP/1.0 without Host": b"GET /idle HTTP/1.0\r\n\r\n",
    "injection in the path": _request(b"/demo;DROP%20TABLE%20demo_data"),
    "percent-u escape": _request(b"/demo?name=%u0041"),
    "double percent": _request(b"/demo?name=%%41"),
    "encoded NUL in the path": _request(b"/demo%00"),
    "raw UTF-8 in the query": _request("/demo?name=é".encode()),
    "raw invalid byte in the query": _request(b"/demo?name=\xff"),
}

# Past the limits: the server's own answer, which only has to be no 5xx.
BEYOND = {
    "10 kB query string": _request(b"/demo?name=dup&pad=" + b"x" * 10_000),
    "1 MB query string": _request(b"/demo?name=dup&pad=" + b"x" * 1_000_000),
    "64 kB header": _request(b"/idle", b"X-Big: " + b"x" * 65_536),
    "500 headers": _request(b"/idle", *(b"X-H%d: v" % i for i in range(500))),
    "header without a colon": _request(b"/idle", b"NoColonHere"),
    "garbage request line": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\r\n\r\n",
    "absurd Content-Length": _request(b"/idle", b"Content-Length: 99999999999999999999999"),
    "bad method token": _request(b"/idle", method=b"G(E)T"),
}


@pytest.mark.parametrize("case", WITHIN)
def test_within_limits_every_service_answers_alike(
    all_services: list[Deployment], case: str
) -> None:
    answers = {service.name: _answers(service, WITHIN[case]) for service in all_services}
    first = next(iter(answers.values()))
    assert first, "no response at all"
    assert all(code < 500 for code in first), answers
    assert all(answer == first for answer in answers.values()), answers
    for service in all_services:
        _still_healthy(service)


@pytest.mark.parametrize("case", BEYOND)
def test_beyond_limits_is_never_a_5xx(service: Deployment, case: str) -> None:
    codes = _answers(service, BEYOND[case])
    assert all(code < 500 for code in codes), codes
    _still_healthy(service)


def _others_time(service: Deployment) -> float:
    """Seconds for OTHERS concurrent lookups, all of which must be 200."""
    started = time.perf_counter()
    answers = burst(service.url, [demo_path("dup")] * OTHERS, timeout=3 * FAIL_BOUND)
    elapsed = time.perf_counter() - started
    assert [a.status for a in answers] == [200] * OTHERS
    return elapsed


def _not_starved(baseline: float) -> float:
    """How long the others may take beside hostile clients: ten times what they took alone,
    or the contract's worst case for one request, whichever is longer (a starved client waits
    until the hostile ones give up)."""
    return max(10 * baseline, FAIL_BOUND)


def test_slow_clients_do_not_starve_the_others(service: Deployment) -> None:
    baseline = min(_others_time(service) for _ in range(2))
    sockets: list[socket.socket] = []
    stop = threading.Event()

    def drip() -> None:  # slowloris: a header byte every half second, for a bounded time
        while not stop.wait(0.5):
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.sendall(b"x")

    try:
        for _ in range(50):
            sock = socket.create_connection(service.running.address, timeout=5)
            sock.sendall(b"GET /idle HTTP/1.1\r\nHost: test\r\nX-Slow: ")
            sockets.append(sock)
        dripper = threading.Thread(target=drip)
        dripper.start()
        try:
            elapsed = _others_time(service)
        finally:
            stop.set()
            dripper.join()
    finally:
        for sock in sockets:
            sock.close()
    bound = _not_starved(baseline)
    assert elapsed < bound, f"{elapsed:.1f} s for {OTHERS} lookups beside 50 slow clients"


async def _hold_idle_connections(
    address: tuple[str, int], count: int, while_held: Callable[[], object]
) -> int:
    """Open ``count`` keep-alive connections, each after one /idle request; call ``while_held``
    (in a thread) while they stay open; return how many were opened."""
    gate = asyncio.Semaphore(256)

    async def one() -> asyncio.StreamWriter | None:
        async with gate:
            try:
                _, writer = await asyncio.wait_for(asyncio.open_connection(*address), FAIL_BOUND)
            except (OSError, TimeoutError):
                return None
            writer.write(b"GET /idle HTTP/1.1\r\nHost: test\r\n\r\n")
            return writer

    writers = [w for w in await asyncio.gather(*(one() for _ in range(count))) if w]
    try:
        await asyncio.to_thread(while_held)
    finally:
        for writer in writers:
            writer.transport.abort()
    return len(writers)


def test_thousands_of_idle_connections(service: Deployment, record: Record) -> None:
    before = service.memory()
    measured: dict[str, float] = {}

    def measure() -> None:
        measured["elapsed"] = _others_time(service)
        measured["during"] = service.memory()

    opened = asyncio.run(_hold_idle_connections(service.running.address, IDLE, measure))
    assert opened == IDLE, f"only {opened} of {IDLE} connections opened"
    growth = measured["during"] - before
    # A connection's objects and buffers, a task or a greenlet: a few KiB, not a thread's stack.
    assert growth < IDLE * 16 * 2**10 + 32 * 2**20, f"{growth / 2**20:.1f} MiB"
    # Past a server's limit, others wait for idle connections to time out; but they are served.
    elapsed = measured["elapsed"]
    assert elapsed < 3 * FAIL_BOUND, f"{elapsed:.1f} s beside {IDLE} idle connections"
    _still_healthy(service)
    record("idle", f"{IDLE} connections, RSS {growth / 2**20:+.1f} MiB, others {elapsed:.1f} s")


# After the idle connections: these answers leave the servers' memory high for a while.
@pytest.fixture(scope="module")
def bulk(database: Database) -> Iterator[str]:
    """BULK_NAME with BULK_ROWS rows, for as long as this module's tests run."""
    database.insert([BULK_NAME] * BULK_ROWS)
    yield BULK_NAME
    database.execute("DELETE FROM demo_data WHERE name = %s", (BULK_NAME,))


def test_slow_readers_hold_no_connection_and_bounded_memory(
    service: Deployment, bulk: str, record: Record
) -> None:
    (answer,) = burst(service.url, [demo_path(bulk)])
    assert answer.status == 200
    size = len(answer.body)
    assert size > SEND_BUFFER_MAX + 2 * RECEIVE_BUFFER, "an answer the kernel could buffer"
    baseline = min(_others_time(service) for _ in range(2))
    before = service.memory()
    request = f"GET {demo_path(bulk)} HTTP/1.1\r\nHost: test\r\n\r\n".encode()
    readers: list[socket.socket] = []
    stop = threading.Event()

    def read_slowly() -> None:  # a few bytes from each reader every tenth of a second, bounded
        while not stop.wait(0.1):
            for sock in readers:
                with contextlib.suppress(BlockingIOError, OSError):
                    sock.recv(16)

    try:
        for _ in range(READERS):
            sock = socket.socket()
            readers.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
            sock.settimeout(FAIL_BOUND)
            sock.connect(service.running.address)
            sock.sendall(request)
            assert sock.recv(16)  # its answer has started
            sock.setblocking(False)
        dripper = threading.Thread(target=read_slowly)
        dripper.start()
        try:
            elapsed = _others_time(service)
            during = service.memory()
        finally:
            stop.set()
            dripper.join()
    finally:
        for sock in readers:
            sock.close()
    assert elapsed < _not_starved(baseline), f"{elapsed:.1f} s beside {READERS} slow readers"
    growth = during - before
    # The answers themselves, a few times over, and some slack: not a copy per byte read.
    assert growth < 4 * READERS * size + 32 * 2**20, f"{growth / 2**20:.1f} MiB"
    record("slow readers", f"{READERS} x {size / 2**20:.1f} MiB, RSS {growth / 2**20:+.1f} MiB")
