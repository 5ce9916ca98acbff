"""The database's added latency in ``nox -s bench``: the kit's delaying proxy in a process of its
own (its CPU time its own), its cost at +0 ms, and the time a lookup takes through it at the
delay a row adds (the pool rule's lookup time, ``RunSettings.fitted_pool``).
"""

from __future__ import annotations

import multiprocessing
import random
import signal
import statistics
import time
from dataclasses import asdict, replace
from typing import TYPE_CHECKING

from contract.database import LOOKUP
from contract.proxy import DelayProxy
from loadtest import calibration

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from contract.database import Database

INJECTOR_ROUNDS = 2000  # pings each way: a few seconds, p99 over 2,000
LOOKUP_ROUNDS = 200  # lookups timed for the pool rule: a second at +5 ms


def injector_meta(database: Database, proxy: ProxyProcess) -> dict[str, str]:
    """The proxy's own cost, measured as the run starts: database pings through it at +0 ms
    against pings made directly, alternately; its added latency and CPU per round trip."""
    via = replace(database.server, host="127.0.0.1", port=proxy.port)
    with database.server.connect() as direct, via.connect() as through:
        cost = calibration.injector_cost(
            direct.ping, through.ping, injector_pid=proxy.pid, rounds=INJECTOR_ROUNDS
        )
    return {f"injector.{name}": str(value) for name, value in asdict(cost).items()}


def lookup_ms(database: Database, proxy: ProxyProcess | None) -> float:
    """The median time of the services' lookup (a name not in the table, as ``demo`` asks),
    one connection, through the proxy at its current delay (None: directly): the database
    round trip a pooled connection is held for, without the driver's share."""
    server = database.server
    if proxy is not None:
        server = replace(server, host="127.0.0.1", port=proxy.port)
    times = []
    with server.connect(database.name) as conn, conn.cursor() as cursor:
        for number in range(LOOKUP_ROUNDS):
            name = f"not-seeded-{number}-{random.random()}"
            started = time.perf_counter()
            cursor.execute(LOOKUP, (name,))
            cursor.fetchall()
            times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 3)


def _serve_proxy(upstream: tuple[str, int], commands: Connection) -> None:
    """The child process: a DelayProxy whose delay the parent sets (seconds; None stops it)."""
    # Ctrl-C reaches this process too: the parent, interrupted, stops it (None), not the signal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    proxy = DelayProxy(*upstream)
    commands.send(proxy.port)
    try:
        while (delay := commands.recv()) is not None:
            proxy.delay = delay
            commands.send(delay)
    finally:
        proxy.close()


class ProxyProcess:
    """The kit's delaying proxy in a process of its own, so that its CPU time can be watched."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        context = multiprocessing.get_context("spawn")
        self._commands, child = context.Pipe()
        self.process = context.Process(target=_serve_proxy, args=(upstream, child), daemon=True)
        self.process.start()
        if not self._commands.poll(30):
            raise RuntimeError("the delaying proxy did not start within 30 s")
        self.port: int = self._commands.recv()

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def set_delay(self, seconds: float) -> None:
        self._commands.send(seconds)
        if not self._commands.poll(10):
            raise RuntimeError("the delaying proxy did not answer within 10 s")
        self._commands.recv()

    def close(self) -> None:
        if self.process.is_alive():
            self._commands.send(None)
            self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
