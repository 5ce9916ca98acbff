"""One search, whatever generates the load: the probe, then the rate steps ``search.next_rate``
asks for, and the capacity they show; and the one-machine generator's searcher (wrk).

Where a search starts: with no knee to start from (the first round of a run that was given
none), the saturation probe's throughput and the first round's coarse ladder; otherwise the
knee (the earlier rounds' median capacity, or the one the run was given from an earlier run,
e.g. the same service at +0 ms for +1 ms) and steps around it; a search given a knee probes
nothing. The generator's seam:
``_probe`` and ``_rate_step`` each measure one step, ``_stop`` ends the load.
"""

from __future__ import annotations

import logging
import statistics
from typing import TYPE_CHECKING, Any

from loadtest import search
from loadtest.results import RATE, Search, Step

if TYPE_CHECKING:
    from collections.abc import Mapping

    from loadtest.onemachine import Machine, Meter
    from loadtest.settings import RunSettings, Target

log = logging.getLogger("loadtest")


class Searcher:
    """A search's course, shared by the generators (``swarm.LocustSearcher``, ``OpenLoop``)."""

    target: Target
    scenario: str
    round: int
    settings: RunSettings
    meter: Meter
    watch: Mapping[str, tuple[int, ...]]

    def run(self, earlier: list[float], given: float | None = None) -> Search:
        """``earlier``: the capacities of the earlier rounds; ``given``: a knee the run was
        given for this search. Whether it probes: ``RunSettings.probes``."""
        settings = self.settings
        quantum = settings.per_user_rate
        steps: list[Step] = []
        start = statistics.median(earlier) if earlier else given
        throughput = 0.0  # the probe's, when it runs
        try:
            if settings.rates:
                steps.extend(self._rate_step(fixed) for fixed in settings.rates)
            else:
                if settings.probes(self.scenario, self.round, hinted=given is not None):
                    steps.append(probe := self._probe())
                    throughput = (probe.requests - probe.failures) / probe.window_s
                plan = search.Plan(
                    start=max(throughput, quantum) if start is None else start,
                    first_round=start is None,
                    resolution=settings.resolution,
                    max_steps=settings.steps(bool(earlier)),
                    unbracketed_steps=settings.max_steps,
                    max_rate=settings.max_rate,
                    quantum=quantum,
                )
                outcomes: list[search.Outcome] = []
                while (rate := search.next_rate(plan, outcomes)) is not None:
                    steps.append(self._rate_step(rate))
                    outcomes.append(steps[-1].outcome())
        finally:
            self._stop()
        rate_indexes = [i for i, s in enumerate(steps) if s.kind == RATE]
        found = search.capacity(
            [steps[i].outcome() for i in rate_indexes], max_rate=settings.max_rate, quantum=quantum
        )
        return Search(
            round=self.round,
            target=self.target.name,
            scenario=self.scenario,
            steps=steps,
            capacity=search.Capacity(
                rps=found.rps,
                lower_bound=found.lower_bound,
                limit=found.limit,
                step=None if found.step is None else rate_indexes[found.step],
                above=None if found.above is None else rate_indexes[found.above],
            ),
        )

    def _probe(self) -> Step:
        raise NotImplementedError

    def _rate_step(self, rate: float) -> Step:
        raise NotImplementedError

    def _stop(self) -> None:
        raise NotImplementedError

    def _log(self, step: Step) -> None:
        what = (
            f"probe, {step.users} users flat out"
            if step.offered_rps is None
            else f"{step.offered_rps:,.0f} req/s offered"
        )
        notes = []
        if step.service_cpu_s is not None:
            notes.append(f"service {step.service_cpu_s / step.window_s:.2f} cores")
        if step.generator_bound:
            notes.append("generator-bound")
        notes.extend(step.marks)
        if step.sustained is not None:
            notes.append("sustained" if step.sustained else f"not sustained: {step.reasons}")
        log.info(
            "%s / %s, round %d: %s: %s req/s, p50 %.2f ms, p99 %.2f ms, %d failed; %s",
            self.target.name, self.scenario, self.round, what, f"{step.achieved_rps:,.0f}",
            step.latency_ms.p50, step.latency_ms.p99, step.failures, ", ".join(notes),
        )  # fmt: skip


class OpenLoop(Searcher):
    """The same search, each load offered by wrk on this machine (``onemachine.py``)."""

    def __init__(self, machine: Machine, *args: Any) -> None:
        self.machine, self.watch = machine, {}
        self.target, self.scenario, self.round, self.settings, self.meter = args

    def _probe(self) -> Step:
        return self._step(None, self.settings.probe_users)

    def _rate_step(self, rate: float) -> Step:
        return self._step(rate, None)

    def _step(self, rate: float | None, connections: int | None) -> Step:
        step = self.machine.step(
            self.target, self.scenario, rate=rate, connections=connections, meter=self.meter,
            watch=self.watch,
        )  # fmt: skip
        self._log(step)
        return step

    def _stop(self) -> None:
        pass  # each window's wrk has exited
