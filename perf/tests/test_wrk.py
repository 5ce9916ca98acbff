"""wrk_check.lua under real wrk, against a small local server whose answers the test decides.

The server counts what it sends, so the script's counts can be checked exactly: five 503s,
then two answers held past wrk's timeout, then rows; then servers with a tenth, and with all,
of their answers late.
"""

from __future__ import annotations

import itertools
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from perf.bench.checks import sample_problem
from perf.bench.measure import parse, wrk

LATE_S = 1.3  # past the tests' 1 s timeout
ROW = b'[{"id":7,"name":"a","create_time":"2024-08-20T01:00:00Z","update_time":null}]'


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, late: Callable[[int], bool]) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.count = itertools.count()
        self.late = late

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # wrk resets its connections at the end of a run


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as wrk expects
    wbufsize = 65536  # the head and the body in one send (flushed after each request)
    disable_nagle_algorithm = True
    server: Server

    def do_GET(self) -> None:
        n = next(self.server.count)
        status, body = (503, b'{"error":"x"}') if n < 5 else (200, ROW)
        if self.server.late(n):
            time.sleep(LATE_S)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serving(late: Callable[[int], bool]) -> Iterator[str]:
    server = Server(late)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/demo"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(autouse=True)
def _wrk_installed() -> None:
    assert shutil.which("wrk"), "wrk is not installed (Debian: apt-get install wrk)"


def test_every_status_is_checked_and_timeouts_counted() -> None:
    # Requests 5 and 6 are held past the timeout (two connections: both at once).
    with serving(lambda n: n in (5, 6)) as url:
        n, samples, cpu = wrk(url, connections=2, seconds=3, timeout_s=1, cpus=[0])
    assert n["requests"] > 20
    assert n["checked"] == n["requests"]  # the script saw every answer
    assert (n["non_200"], n["statuses"]) == (5, {"503": 5})
    assert n["timeout"] == 2
    assert 0 < n["p99_us"] < 1_000_000  # two late answers of hundreds or more: p99 in time
    assert cpu > 0
    assert sample_problem("/demo", samples) is None
    assert {body for _, body in samples} == {ROW}  # the 200s' bodies, the 503s' never
    # Answers 1, 2, 4, ... (1, 2 and 4 were 503s), and the first eight others with rows.
    assert len(samples) >= 8 + 4


def test_percentiles_are_over_every_answer_the_late_ones_included() -> None:
    # A tenth of the answers late: p50 in time, p99 beyond the timeout (wrk's own p99, of the
    # answers in time only, would be a few milliseconds).
    with serving(lambda n: n % 10 == 0) as url:
        n, _, _ = wrk(url, connections=20, seconds=3, timeout_s=1, cpus=[0])
    assert n["requests"] > 100
    assert 0.05 < n["timeout"] / n["requests"] < 0.2
    assert 0 < n["p50_us"] < 1_000_000
    assert n["p99_us"] == -1


def test_percentiles_beyond_the_timeout_when_every_answer_is_late() -> None:
    with serving(lambda n: True) as url:
        n, _, _ = wrk(url, connections=4, seconds=3, timeout_s=1, cpus=[0])
    assert n["requests"] >= 4
    assert n["timeout"] == n["requests"]
    assert n["p50_us"] == n["p99_us"] == -1


def test_parse_reads_the_numbers_and_the_bodies() -> None:
    stdout = (
        "Running 1s test @ http://127.0.0.1:1/demo\n"
        'PERF_JSON {"requests":3,"timeout":0,"statuses":{}}\n'
        f"PERF_BODY {b'application/json'.hex()}0a{b'[]'.hex()}\n"
    )
    numbers, samples = parse(stdout)
    assert numbers == {"requests": 3, "timeout": 0, "statuses": {}}
    assert samples == [("application/json", b"[]")]
    with pytest.raises(RuntimeError, match="no result"):
        parse("Running 1s test\n")
