"""The HDR histogram: sub-millisecond percentiles, nothing dropped, merged like one histogram."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

import pytest

from loadtest.latency import REPORT_KEY, Histogram, LatencyRecorder

if TYPE_CHECKING:
    from collections.abc import Callable


def filled(values_ms: list[float]) -> Histogram:
    histogram = Histogram()
    for value in values_ms:
        histogram.record_ms(value)
    return histogram


def test_percentiles_keep_microseconds() -> None:
    # 0.2 to 0.8 ms: locust's whole milliseconds would make all of these 0 or 1.
    summary = filled([0.2 + 0.6 * i / 999 for i in range(1000)]).summary()
    assert summary.count == 1000
    assert summary.min == pytest.approx(0.2, abs=0.001)
    assert summary.p50 == pytest.approx(0.5, rel=0.01)
    assert summary.p90 == pytest.approx(0.74, rel=0.01)
    assert summary.p99 == pytest.approx(0.794, rel=0.01)
    assert summary.max == pytest.approx(0.8, rel=0.001)
    assert summary.mean == pytest.approx(0.5, rel=0.01)


def test_values_out_of_range_are_kept_not_dropped() -> None:
    histogram = filled([0.0, 0.0001, 10_000_000.0])  # 0 µs, 0.1 µs, about 3 hours
    assert histogram.count == 3
    assert histogram.summary().max >= 3_600_000  # clamped to the top, an hour


def test_merged_histograms_equal_one_histogram_of_everything() -> None:
    rng = random.Random(7)
    parts = [[rng.lognormvariate(0, 1) for _ in range(500)] for _ in range(3)]
    merged = Histogram()
    for part in parts:
        merged.add_encoded(filled(part).encode())
    assert merged.summary() == filled([v for part in parts for v in part]).summary()
    assert Histogram.decode(merged.encode()).summary() == merged.summary()
    assert Histogram.decode("").count == 0


def test_an_empty_window_summarises_to_zeros() -> None:
    assert Histogram().summary().count == 0
    assert Histogram().summary().p99 == 0.0


class Hook:
    """A stand-in for locust's EventHook (importing locust here would monkey-patch pytest)."""

    def __init__(self) -> None:
        self.listeners: list[Callable[..., None]] = []

    def add_listener(self, listener: Callable[..., None]) -> None:
        self.listeners.append(listener)

    def fire(self, **kwargs: Any) -> None:
        for listener in self.listeners:
            listener(**kwargs)


class Events:
    def __init__(self) -> None:
        self.request, self.report_to_master, self.worker_report = Hook(), Hook(), Hook()


def test_workers_ship_what_they_recorded_with_each_report_and_the_master_merges_it() -> None:
    master_events, worker_events = Events(), Events()
    master = LatencyRecorder(master_events, worker=False)  # type: ignore[arg-type]
    worker = LatencyRecorder(worker_events, worker=True)  # type: ignore[arg-type]
    for value in (0.5, 1.5):
        worker_events.request.fire(response_time=value, name="/idle")
    assert worker.window.count == 0  # held for the next report
    data: dict[str, Any] = {}
    worker_events.report_to_master.fire(client_id="w1", data=data)
    master_events.worker_report.fire(client_id="w1", data=data)
    assert master.window.count == 2
    # The next report carries only what came since.
    worker_events.request.fire(response_time=2.5)
    data = {}
    worker_events.report_to_master.fire(client_id="w1", data=data)
    master_events.worker_report.fire(client_id="w1", data=data)
    assert master.window.count == 3
    assert master.window.summary().max == pytest.approx(2.5, rel=0.001)
    # A report with nothing new, and a worker without the key (another locustfile): no change.
    data = {}
    worker_events.report_to_master.fire(client_id="w1", data=data)
    assert data[REPORT_KEY] == ""
    master_events.worker_report.fire(client_id="w1", data=data)
    master_events.worker_report.fire(client_id="w2", data={})
    assert master.window.count == 3
    master.reset()
    assert master.window.count == 0


def test_a_local_runner_records_straight_into_its_window() -> None:
    events = Events()
    local = LatencyRecorder(events, worker=False)  # type: ignore[arg-type]
    events.request.fire(response_time=0.25)
    assert local.window.count == 1
