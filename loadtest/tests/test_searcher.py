"""Where a search starts: from its probe in its first round, from a knee otherwise (the earlier
rounds', or one the run was given from an earlier run), without probe or ladder."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from loadtest.results import PROBE, RATE, RunResults, Step
from loadtest.searcher import Searcher
from loadtest.settings import RunSettings, Target

if TYPE_CHECKING:
    from loadtest.results import Search

from results_docs import FIXTURES

KNEE = 800.0  # req/s: the model service sustains up to here
PROBE_THROUGHPUT = 1000.0


def template() -> Step:
    return RunResults.read(FIXTURES[0]).searches[0].steps[1]


class Model(Searcher):
    """A service whose knee is KNEE, measured without any load."""

    def __init__(self, round_: int = 1, **settings: Any) -> None:
        self.target, self.scenario, self.round = Target("model", "http://x"), "demo", round_
        self.settings, self.watch = RunSettings(**settings).resolved(), {}
        self.offered: list[float | None] = []
        self.step = template()

    def _probe(self) -> Step:
        self.offered.append(None)
        requests = int(PROBE_THROUGHPUT * self.step.window_s)
        return replace(self.step, kind=PROBE, offered_rps=None, requests=requests, failures=0)

    def _rate_step(self, rate: float) -> Step:
        self.offered.append(rate)
        return replace(
            self.step, kind=RATE, offered_rps=rate, sustained=rate <= KNEE, failures=0,
            generator_bound=False,
        )  # fmt: skip

    def _stop(self) -> None:
        pass


def found(search: Search) -> float | None:
    return search.capacity.rps


def test_a_first_round_probes_then_climbs_the_ladder() -> None:
    model = Model()
    search = model.run([])
    assert model.offered[0] is None  # the probe first
    assert model.offered[1:3] == [500.0, 750.0]  # 0.5 and 0.75 of its throughput
    assert found(search) is not None
    assert KNEE / 1.05 <= found(search) <= KNEE  # type: ignore[operator]


def test_a_search_given_a_knee_starts_there_without_probe_or_ladder() -> None:
    model = Model()
    search = model.run([], given=KNEE)
    assert None not in model.offered
    assert model.offered[0] == KNEE
    assert len(model.offered) == 2  # the knee, and one step above it that fails
    assert found(search) == KNEE
    assert search.probe is None


def test_a_later_round_starts_from_the_earlier_rounds_and_still_probes() -> None:
    # The tail near saturation is a question of its own: its rounds keep their probe.
    model = Model(round_=2)
    model.run([KNEE, KNEE * 0.9, KNEE * 1.2])
    assert model.offered[0] is None
    assert model.offered[1] == KNEE  # the earlier rounds' median
    assert len(model.offered) == 3
