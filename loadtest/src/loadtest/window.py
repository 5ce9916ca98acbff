"""Open and close the measuring window on every process that generates load.

A locust worker streams its stats to the master every few seconds, so resetting the master's
stats alone would count up to one report interval of warm-up and drop as much of the window.
Instead the master asks every worker to reset (or, at the end, for its report now) and waits
for each one's answer, which also carries that process's CPU seconds. The report is locust's
own, built and merged through its public events (``report_to_master`` on the worker,
``worker_report`` on the master), carried in the answer. Answers travel on the same ordered
connection as the periodic reports, so once every worker has answered, the master holds the
requests made inside the window, to within the few milliseconds the exchange takes.

The same messages work without workers: locust's ``LocalRunner`` delivers them to its own
listeners, so the runner has a single code path. Each process's latency histogram
(``latency.py``) is reset with its stats.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import gevent
from locust.runners import STATE_MISSING, MasterRunner, Runner, WorkerRunner

from loadtest.cpu import MASTER_NODE, ProcessUsage
from loadtest.latency import LatencyRecorder

if TYPE_CHECKING:
    from locust.env import Environment
    from locust.rpc import Message

RESET = "loadtest_reset"
FLUSH = "loadtest_flush"
USAGE = "loadtest_usage"
REPORT = "report"  # a worker's stats report in its answer to FLUSH
LOCAL_NODE = "local"  # LocalRunner's node id for the messages it delivers to itself


class WindowTimeoutError(RuntimeError):
    """A worker did not answer in time."""


def serve_window_requests(runner: Runner, latency: LatencyRecorder) -> None:
    """Answer the master's (or, locally, our own) reset and flush requests."""

    def on_reset(environment: Environment, msg: Message, **_kw: Any) -> None:
        environment.stats.reset_all()
        latency.reset()
        _reply(runner, msg)

    def on_flush(environment: Environment, msg: Message, **_kw: Any) -> None:
        report: dict[str, Any] = {}
        if isinstance(runner, WorkerRunner):
            # What this worker counted since its last periodic report, as locust builds one.
            events = environment.events.report_to_master  # locust's EventHook is unannotated
            events.fire(client_id=runner.client_id, data=report)  # type: ignore[no-untyped-call]
        _reply(runner, msg, report)

    runner.register_message(RESET, on_reset)
    runner.register_message(FLUSH, on_flush)


def _reply(runner: Runner, msg: Message, report: dict[str, Any] | None = None) -> None:
    usage = ProcessUsage.here()
    runner.send_message(USAGE, {"round": msg.data["round"], REPORT: report, **usage.__dict__})


class WindowControl:
    """The runner's side (a LocalRunner or a MasterRunner): broadcast a request, collect every
    process's CPU reading; ``latency`` holds the window's response times."""

    def __init__(self, runner: Runner, timeout: float = 30.0) -> None:
        self.runner = runner
        self.timeout = timeout
        self.round = 0
        self.replies: dict[str, ProcessUsage] = {}
        self.latency = LatencyRecorder(runner.environment.events, worker=False)
        runner.register_message(USAGE, self._on_usage)
        if not isinstance(runner, MasterRunner):
            serve_window_requests(runner, self.latency)

    def _on_usage(self, environment: Environment, msg: Message, **_kw: Any) -> None:
        data = dict(msg.data)
        if data.pop("round") != self.round:  # a late answer to an earlier round is stale
            return
        if report := data.pop(REPORT):  # merged as locust merges a periodic report
            merge = environment.events.worker_report.fire
            merge(client_id=msg.node_id, data=report)  # type: ignore[no-untyped-call]
        self.replies[msg.node_id] = ProcessUsage(**data)

    def nodes(self) -> set[str]:
        if isinstance(self.runner, MasterRunner):
            return {c.id for c in self.runner.clients.values() if c.state != STATE_MISSING}
        return {LOCAL_NODE}

    def exchange(self, kind: str) -> dict[str, ProcessUsage]:
        """Send ``kind`` (RESET or FLUSH) to every process; return their readings by node."""
        self.round += 1
        self.replies = {}
        expected = self.nodes()
        self.runner.send_message(kind, {"round": self.round})
        deadline = time.monotonic() + self.timeout
        while not expected <= set(self.replies):
            if time.monotonic() > deadline:
                missing = sorted(expected - set(self.replies))
                raise WindowTimeoutError(f"no answer to {kind} from {missing}")
            gevent.sleep(0.005)
        if kind == RESET and isinstance(self.runner, MasterRunner):
            # Everything sent before the workers reset has arrived; drop it.
            self.runner.stats.reset_all()
            self.latency.reset()
        replies = {node: self.replies[node] for node in expected}
        if isinstance(self.runner, MasterRunner):
            replies[MASTER_NODE] = ProcessUsage.here()
        return replies
