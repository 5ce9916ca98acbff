"""Hostile and malformed HTTP, sent as raw bytes: never a 5xx, never a crash, same answers.

Requests within the contract's limits must get the same answer from every service. Requests
past them (huge request lines or headers) meet each server's own limits (CONTRACT.md, "Limits"):
gunicorn refuses them with a 400, uvicorn with httptools serves what fits its parser's buffers
and closes the connection past that; never a 5xx. After each, the service still answers.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import pytest

from contract.client import burst, demo_path, exchange, statuses
from contract.tests.conftest import Deployment


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


def test_slow_clients_do_not_starve_the_others(service: Deployment) -> None:
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
            started = time.perf_counter()
            answers = burst(service.url, [demo_path("dup")] * 20)
            elapsed = time.perf_counter() - started
        finally:
            stop.set()
            dripper.join()
    finally:
        for sock in sockets:
            sock.close()
    assert [a.status for a in answers] == [200] * 20
    assert elapsed < 5.0, f"{elapsed:.1f} s for 20 lookups beside 50 slow clients"
