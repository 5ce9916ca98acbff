"""Paced users spread their requests over their period instead of firing together.

Users spawned in one batch would otherwise send every request at the same instant of each
period, and the bursts, not the service, would set the tail latency. A server in this process
records when each request arrives; within one period, arrivals must fall evenly.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import pytest
from fake_http import JsonHandler, QuietServer, serving

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from conftest import CLI

USERS = 40
# Requests/s each: a 500 ms period, five times the 100 ms the runner takes to start the users
# (ten per period's worth of users a second), so started users alone would clump.
USER_RATE = 2.0


class Recorder(QuietServer):
    """Notes when each request arrives; answers as /idle does."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.arrivals: list[float] = []
        self.lock = threading.Lock()


class Handler(JsonHandler):
    server: Recorder

    def do_GET(self) -> None:  # http.server's naming
        with self.server.lock:
            self.server.arrivals.append(time.monotonic())
        self.answer(200, {"status": "idle"})


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    with serving(Recorder()) as server:
        yield server


def test_paced_users_spread_their_arrivals_over_one_period(
    cli: CLI, recorder: Recorder, tmp_path: Path
) -> None:
    cli(
        "run", "--target", f"rec={recorder.url}", "--scenario", "idle", "--repeats", "1",
        "--rate", str(USERS * USER_RATE), "--user-rate", str(USER_RATE),
        "--settle", "0.5", "--window", "3", "--out", str(tmp_path),
    )  # fmt: skip
    period = 1 / USER_RATE
    arrivals = sorted(recorder.arrivals)
    # Skip the first period (users still starting), then fold every arrival into one period.
    start = arrivals[0] + period
    phases = [((t - start) % period) / period for t in arrivals if t >= start]
    assert len(phases) >= USERS * 4  # 3 s of USERS requests per period, give or take
    # Kolmogorov-Smirnov distance of the phases from the uniform distribution: 0 when they
    # cover the period evenly, near 1 when every request of a period arrives at one instant.
    phases.sort()
    distance = max(
        max(abs((i + 1) / len(phases) - p), abs(i / len(phases) - p)) for i, p in enumerate(phases)
    )
    assert distance < 0.25
