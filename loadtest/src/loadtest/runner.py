"""``python -m loadtest run`` and ``worker``: a capacity search per target, scenario and round.

For every round, every target (each round starts one further along) and every scenario, one
search (``searcher.py`` runs it, ``search.py`` decides its steps), its load offered by wrk on
one machine (``onemachine.py``: open loop, calibrated first) or by locust's users, local or
distributed (``swarm.py``: the cluster run). A plan may give a search its knee from an earlier
run (``Plan.starts``: the bench's +0 ms knees for its +1 and +5 ms rows): it then starts there,
without probe or ladder.

``swarm`` imports locust, which monkey-patches the process with gevent: it is imported only for
a locust run and for ``worker``. Every wait has a deadline, every search a bounded number of
steps.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from loadtest.cpu import PidMeter
from loadtest.k8s import MetricsClient, PodMeter
from loadtest.onemachine import WRK, Machine
from loadtest.results import (
    RunResults,
    Search,
    TargetInfo,
    describe_environment,
    git_commit,
    utc_now,
)
from loadtest.searcher import OpenLoop, Searcher

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from loadtest import search
    from loadtest.onemachine import Meter
    from loadtest.settings import Plan, Target

log = logging.getLogger("loadtest")


def run(plan: Plan, out: Path) -> Path:
    """Search every target's capacity under every scenario, ``repeats`` times interleaved;
    write the results file; return its path."""
    plan.check()
    settings, targets = plan.settings.resolved(), plan.targets
    started = utc_now()
    searches: list[Search] = []
    progress = _Progress(settings.repeats * len(targets) * len(settings.scenarios))
    with _searchers(plan) as (make, machine):
        for round_ in range(1, settings.repeats + 1):
            shift = (round_ - 1) % len(targets)
            for target in targets[shift:] + targets[:shift]:
                with _meter(target) as meter:
                    for scenario in settings.scenarios:
                        searcher = make(target, scenario, round_, settings, meter)
                        searcher.watch = plan.watch
                        earlier = [
                            s.capacity.rps
                            for s in searches
                            if (s.target, s.scenario) == (target.name, scenario)
                        ]
                        given = plan.starts.get(f"{target.name}/{scenario}")
                        searches.append(searcher.run([rps for rps in earlier if rps], given))
                        progress.done(searches[-1], settings.repeats)
    commit, dirty = git_commit(Path(__file__).parent)
    results = RunResults(
        started_at=started,
        finished_at=utc_now(),
        environment=describe_environment(dict(plan.meta)),
        settings=settings,
        labels=dict(plan.labels),
        targets=[TargetInfo(t.name, t.url, t.cpu_allowance, t.cpu_source) for t in targets],
        searches=searches,
        commit=commit,
        dirty=dirty,
        calibration=machine.describe() if machine else [],
    )
    path = results.write(out)
    log.info("results written to %s", path)
    return path


@contextmanager
def _searchers(plan: Plan) -> Iterator[tuple[Callable[..., Searcher], Machine | None]]:
    """How each search is made: wrk on this machine, calibrated first (unless the plan brings
    its calibration), or locust's users."""
    settings = plan.settings.resolved()
    if settings.generator == WRK:
        machine = Machine.calibrated(settings, plan.targets, plan.calibration)
        yield (lambda *args: OpenLoop(machine, *args)), machine
        return
    from loadtest import swarm  # noqa: PLC0415 (locust monkey-patches on import)

    with swarm.generator(swarm.environment(settings), settings) as control:
        yield (lambda *args: swarm.LocustSearcher(control, *args)), None


def work(master_host: str, master_port: int) -> None:
    """``python -m loadtest worker``: a locust worker (``swarm.work``)."""
    from loadtest import swarm  # noqa: PLC0415 (locust monkey-patches on import)

    swarm.work(master_host, master_port)


@dataclass
class _Progress:
    """One line per finished search: where the run is, and about how long it has left."""

    total: int
    started: float = field(default_factory=time.monotonic)
    finished: int = 0

    def done(self, found: Search, repeats: int) -> None:
        self.finished += 1
        elapsed = time.monotonic() - self.started
        left = elapsed / self.finished * (self.total - self.finished)
        log.info(
            "%s / %s, round %d of %d: %s after %d steps; %d of %d searches, %.1f min "
            "elapsed, about %.1f min left",
            found.target, found.scenario, found.round, repeats, _describe(found.capacity),
            len(found.rate_steps), self.finished, self.total, elapsed / 60, left / 60,
        )  # fmt: skip


def _describe(capacity: search.Capacity) -> str:
    if capacity.rps is None:
        return "no offered rate sustained"
    bound = "≥ " if capacity.lower_bound else ""
    return f"capacity {bound}{capacity.rps:,.0f} req/s ({capacity.limit} limit)"


@contextmanager
def _meter(target: Target) -> Iterator[Meter]:
    if target.pods:
        with PodMeter(target.pods, MetricsClient()) as meter:
            yield meter
    else:
        yield PidMeter(target.pids)  # none: no figure
