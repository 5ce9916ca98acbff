"""Response times with sub-millisecond resolution: an HDR histogram per window, merged over workers.

locust's own statistics keep response times rounded to whole milliseconds, which turns a fast
service's p50 into 0 and hides the difference between 0.4 and 0.6 ms. Here every request's
time (locust measures it with ``perf_counter``) goes into an HdrHistogram of microseconds, 3
significant digits (https://hdrhistogram.github.io/HdrHistogram/), in the process that made the
request. A worker ships what it recorded since its last report with locust's own stats report
(the ``report_to_master`` event) and starts afresh; the master merges each report into its
window's histogram (``worker_report``). The histogram travels with the stats, on the same
ordered connection, so the window control (``window.py``) that makes locust's stats exact for a
window makes this histogram exact too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]  # no annotations

if TYPE_CHECKING:
    from locust.event import Events

LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # an hour: no response time is ever out of range
SIGNIFICANT_FIGURES = 3
REPORT_KEY = "loadtest_hdr"  # our entry in locust's worker stats report


class Histogram:
    """Microseconds, recorded from locust's millisecond floats."""

    def __init__(self) -> None:
        self._hdr = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES)

    def record_ms(self, milliseconds: float) -> None:
        self.record_us(round(milliseconds * 1000))

    def record_us(self, microseconds: int, count: int = 1) -> None:
        self._hdr.record_value(min(max(microseconds, LOWEST_US), HIGHEST_US), count)

    @property
    def count(self) -> int:
        return int(self._hdr.get_total_count())

    def reset(self) -> None:
        self._hdr.reset()

    def encode(self) -> str:
        """The compressed, base64 HdrHistogram V2 form (other HdrHistogram libraries read it)."""
        return str(self._hdr.encode().decode("ascii"))

    def add_encoded(self, encoded: str) -> None:
        self._hdr.decode_and_add(encoded)

    @classmethod
    def decode(cls, encoded: str) -> Histogram:
        histogram = cls()
        if encoded:
            histogram.add_encoded(encoded)
        return histogram

    def percentile_ms(self, percentile: float) -> float:
        return float(self._hdr.get_value_at_percentile(percentile)) / 1000

    def summary(self) -> Latency:
        if not self.count:
            return Latency(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        # One pass over the counts for every percentile (each lookup alone is a pass).
        at = self._hdr.get_percentile_to_value_dict([50.0, 90.0, 99.0, 99.9])
        return Latency(
            count=self.count,
            min=self._hdr.get_min_value() / 1000,
            mean=round(self._hdr.get_mean_value() / 1000, 3),
            p50=at[50.0] / 1000,
            p90=at[90.0] / 1000,
            p99=at[99.0] / 1000,
            p999=at[99.9] / 1000,
            max=self._hdr.get_max_value() / 1000,
        )


@dataclass(frozen=True)
class Latency:
    """A window's response times in milliseconds, to the microsecond (HDR: 3 significant digits)."""

    count: int
    min: float
    mean: float
    p50: float
    p90: float
    p99: float
    p999: float
    max: float


class LatencyRecorder:
    """The window's histogram of this process: its own requests, or (on a master) its workers'.

    ``worker``: this process reports to a master, so it holds its requests until the next report.
    """

    def __init__(self, events: Events, *, worker: bool) -> None:
        self.window = Histogram()
        self._pending = Histogram()  # a worker's requests since its last report
        self._is_worker = worker
        # locust's EventHook is unannotated.
        events.request.add_listener(self._on_request)  # type: ignore[no-untyped-call]
        events.report_to_master.add_listener(self._on_report_to_master)  # type: ignore[no-untyped-call]
        events.worker_report.add_listener(self._on_worker_report)  # type: ignore[no-untyped-call]

    def reset(self) -> None:
        self.window.reset()
        self._pending.reset()

    def _on_request(self, response_time: float, **_kwargs: Any) -> None:
        (self._pending if self._is_worker else self.window).record_ms(response_time)

    def _on_report_to_master(self, data: dict[str, Any], **_kwargs: Any) -> None:
        data[REPORT_KEY] = self._pending.encode() if self._pending.count else ""
        self._pending.reset()

    def _on_worker_report(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if encoded := data.get(REPORT_KEY):
            self.window.add_encoded(encoded)
