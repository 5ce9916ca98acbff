"""Paced users spread their requests over their period instead of firing together.

Users spawned in one batch would otherwise send every request at the same instant of each
period, and the bursts, not the service, would set the tail latency. A server in this process
records when each request arrives; within one period, arrivals must fall evenly.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from conftest import CLI

USERS = 20
USER_RATE = 10.0  # requests/s each: a 100 ms period


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.arrivals: list[float] = []
        self.lock = threading.Lock()

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # users stopped mid-request reset their connections


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real servers
    disable_nagle_algorithm = True
    server: Recorder

    def do_GET(self) -> None:  # http.server's naming
        with self.server.lock:
            self.server.arrivals.append(time.monotonic())
        body = json.dumps({"status": "idle"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_paced_users_spread_their_arrivals_over_one_period(
    cli: CLI, recorder: Recorder, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{recorder.server_address[1]}"
    cli(
        "run", "--target", f"rec={url}", "--scenario", "idle", "--repeats", "1",
        "--rate", str(USERS * USER_RATE), "--user-rate", str(USER_RATE),
        "--settle", "0.5", "--window", "2", "--out", str(tmp_path),
    )  # fmt: skip
    period = 1 / USER_RATE
    arrivals = sorted(recorder.arrivals)
    # Skip the first period (users still starting), then fold every arrival into one period.
    start = arrivals[0] + period
    phases = [((t - start) % period) / period for t in arrivals if t >= start]
    assert len(phases) >= USERS * 10  # 2.5 s of USERS requests per period, give or take
    # Kolmogorov-Smirnov distance of the phases from the uniform distribution: 0 when they
    # cover the period evenly, near 1 when every request of a period arrives at one instant.
    phases.sort()
    distance = max(
        max(abs((i + 1) / len(phases) - p), abs(i / len(phases) - p)) for i, p in enumerate(phases)
    )
    assert distance < 0.25
