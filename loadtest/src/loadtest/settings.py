"""A run's settings and plan: the one place of every default, help text and variable name.

``RunSettings`` holds how a capacity is found, where the users run and what the database holds.
The command line is generated from its fields (``add_options``); an option given on the command
line wins over its ``LOADTEST_*`` variable, which wins over the default, as in locust. The
results store the object as it is, and a ``Plan`` (the settings and the targets) travels as one
JSON document: ``python -m loadtest run PLAN``. Imports nothing heavy.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from dataclasses import Field, asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, cast

from loadtest.k8s import PodSelector
from loadtest.names import DEFAULT_SEED
from loadtest.search import Criteria, Outcome, next_rate
from loadtest.search import Plan as SearchPlan

if TYPE_CHECKING:
    from collections.abc import Callable

SCENARIOS = ("demo", "demo-hit", "idle")
GENERATORS = ("locust", "wrk")
DEFAULT_POOL_SIZE = 10  # CONTRACT.md: DB_POOL_SIZE's default in every service
MAX_POOL_SIZE = 100  # the pool rule's upper bound: six services stay far below the server's 2,000
METHOD, TOPOLOGY, DATA = "the method", "where the users run", "what the database holds"
# Where the one-machine generator is calibrated (onemachine.py): the rates a 2-core machine's
# searches offer, from a slow service's knee to the fastest one's idle (loadtest/README.md).
CALIBRATION_RATES = (250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0)
# For the time estimate: where a typical knee lies, relative to the probe's throughput in the
# first round and to the start of a search from a knee (5 and 4 steps; a published run's
# searches took 5.4 and 4.3 on average), and what a step costs beyond settle and window:
# locust's window exchanges; wrk's two runs (settle, window), their starts and stops and the
# window's grace for its last answers (0.2 s).
TYPICAL_KNEE, TYPICAL_DRIFT = 0.85, 0.9
STEP_OVERHEAD = 0.15  # seconds, locust (the chart's run reads it too)
WRK_STEP_OVERHEAD = 0.35


def _option(
    default: Any, group: str, help: str, *, flag: str = "", env: str = "", kind: type = str
) -> Any:
    """A field with what its option needs; ``kind`` converts text when the default is None and
    each item of a tuple (a repeatable option, space-separated in its variable)."""
    if default is not None and not isinstance(default, tuple):
        kind = type(default)
    return field(
        default=default,
        metadata={"group": group, "help": help, "flag": flag, "env": env, "kind": kind},
    )


@dataclass(frozen=True)
class RunSettings:
    """The method, the same for every target, with the topology and the seeded data."""

    slo_ms: float = _option(
        50.0, METHOD, "a step is sustained only if its p99 is at most this many milliseconds"
    )
    max_error_rate: float = _option(0.001, METHOD, "... and at most this fraction failed")
    min_achieved: float = _option(
        0.98, METHOD, "... and its achieved rate is at least this fraction of the offered one"
    )
    repeats: int = _option(3, METHOD, "rounds: each measures every target and scenario once")
    window_s: float = _option(10.0, METHOD, "seconds measured per step", flag="--window")
    settle_s: float = _option(
        2.0, METHOD, "seconds at each new rate before its window opens", flag="--settle"
    )
    warmup_s: float = _option(
        5.0, METHOD, "seconds of the probe's load before its window opens", flag="--warmup"
    )
    probe_users: int = _option(64, METHOD, "closed-loop users of the saturation probe")
    # Stored resolved (``resolved()``): the results say what each user offered.
    user_rate: float | None = _option(
        None,
        METHOD,
        "requests/s each paced user offers (default: one per max(100 ms, 2 x SLO), so a "
        "response within the SLO never delays the next)",
        kind=float,
    )
    resolution: float = _option(
        0.05, METHOD, "a search stops once its first failing rate is within this fraction above "
        "the highest sustained one",
    )  # fmt: skip
    max_steps: int = _option(12, METHOD, "offered rates per search at most (probe not counted)")
    knee_steps: int = _option(
        3, METHOD, "offered rates at most of a search that starts from a knee (later rounds, a "
        "knee given by an earlier run): the knee, one step beside it, one more; a round whose "
        "knee moved further ends coarser, its range shows it, and one not yet bracketed goes on "
        "up to --max-steps",
    )  # fmt: skip
    max_rate: float = _option(100_000.0, METHOD, "the search never offers more requests/s")
    rates: tuple[float, ...] = _option(
        (), METHOD, "measure exactly these offered rates, in order, instead of the probe and the "
        "search; repeatable", flag="--rate", env="LOADTEST_RATES", kind=float,
    )  # fmt: skip
    scenarios: tuple[str, ...] = _option(
        SCENARIOS, METHOD, f"one of {', '.join(SCENARIOS)}; repeatable", flag="--scenario",
        env="LOADTEST_SCENARIOS",
    )  # fmt: skip
    # locust's own CPU warning fires at 90 %.
    generator_bound_at: float = _option(
        0.9, METHOD, "generator CPU share from which a step is marked generator-bound"
    )
    processes: int = _option(
        1, TOPOLOGY, "local locust processes: 1 runs users in this process, N > 1 starts N workers"
    )
    expect_workers: int = _option(
        0, TOPOLOGY, "be a master and wait for this many external `worker` processes"
    )
    expect_workers_max_wait: float = _option(300.0, TOPOLOGY, "seconds to wait for them")
    master_bind_host: str = _option("*", TOPOLOGY, "interface the master listens on for workers")
    master_bind_port: int = _option(5557, TOPOLOGY, "port the master listens on for workers")
    cpus: str | None = _option(None, TOPOLOGY, "pin the load generator to CPUs, e.g. 1 or 2-3")
    generator: str = _option(
        "locust", TOPOLOGY, "locust (paced users, local or distributed: the cluster run) or wrk "
        "(one machine: open loop, compiled, calibrated first; loadtest/README.md)",
    )  # fmt: skip
    seed: int = _option(DEFAULT_SEED, DATA, "random seed of the names")
    rows: int = _option(1_000_000, DATA, "rows seeded (the blog's table size)")
    hit_names: int = _option(10_000, DATA, "demo-hit draws from the first this many seeded names")
    knee_answers: int = _option(
        10_000, METHOD, "answers aimed for behind each deciding figure: the knee's windows over "
        "the rounds, pooled (the results count them; fewer when the windows cannot hold them)",
    )  # fmt: skip
    # 4, not 2: the report judges a pool by the HTTP p50 at light load (analysis.light_hold),
    # about twice the bare lookup the rule times; at 2, a default run (2026-12-07, 2-core AMD
    # EPYC) left the +1 ms row at 91 % of its pool's ceiling, "not ranked".
    pool_headroom: float = _option(
        4.0, METHOD, "the pool rule (nox -s bench): a row's pool is the fastest service's "
        f"reach (req/s) x a measured lookup (s) x this, rounded up, within {DEFAULT_POOL_SIZE} to "
        f"{MAX_POOL_SIZE}",
    )  # fmt: skip

    @property
    def per_user_rate(self) -> float:
        # A response within the SLO must never delay the user's next request.
        return self.user_rate or 1000 / max(100.0, 2 * self.slo_ms)

    @property
    def criteria(self) -> Criteria:
        return Criteria(self.slo_ms, self.max_error_rate, self.min_achieved)

    def expected_steps(self, *, first_round: bool, later_round: bool | None = None) -> int:
        """The rate steps a search takes (``search.next_rate`` on a model service) to a typical
        knee with these settings' resolution and step budget (``steps``); ``first_round``: from
        the probe, else from a knee, given (the first of its rounds) or an earlier round's."""
        knee = TYPICAL_KNEE if first_round else TYPICAL_DRIFT
        later = not first_round if later_round is None else later_round
        model = SearchPlan(
            1000.0, first_round, self.resolution, self.steps(later), self.max_rate, 1
        )
        steps: list[Outcome] = []
        while (rate := next_rate(model, steps)) is not None:
            steps.append(Outcome(rate, sustained=rate <= knee * 1000))
        return len(steps)

    def steps(self, later_round: bool) -> int:
        """The step budget of a search: ``knee_steps`` in a later round (from the earlier
        rounds' knee), else ``max_steps`` (a knee given by an earlier run may lie further)."""
        return min(self.max_steps, self.knee_steps) if later_round else self.max_steps

    def probes(self, scenario: str, round_: int, *, hinted: bool) -> bool:
        """Whether a search runs the saturation probe: where it has nowhere else to start (its
        first round, unless the run was given its knee) and, for the tail near saturation, in
        every round of the run's first scenario (``demo``: that question's rounds)."""
        return not hinted and (round_ == 1 or scenario == self.scenarios[0])

    def estimate_seconds(
        self, targets: int, *, hinted: bool = False, calibrated: bool = False
    ) -> float:
        """The measuring time of this run over ``targets`` by arithmetic: the calibration (wrk,
        unless ``calibrated`` already), then per target and scenario its rounds' probes and
        rate steps (as many as ``expected_steps``); ``hinted``: every search starts from a knee
        the run was given (no probe, no ladder), as later rounds do."""
        if self.rates:
            steps = targets * len(self.scenarios) * self.repeats * len(self.rates)
            return self.seconds_for(probes=0, steps=steps, calibrated=calibrated)
        first = self.expected_steps(first_round=not hinted, later_round=False)
        later = self.expected_steps(first_round=False)
        rounds = range(1, self.repeats + 1)
        probes = sum(self.probes(s, r, hinted=hinted) for s in self.scenarios for r in rounds)
        steps = len(self.scenarios) * (first + later * (self.repeats - 1))
        return self.seconds_for(
            probes=targets * probes, steps=targets * steps, calibrated=calibrated
        )

    def seconds_for(self, *, probes: int, steps: int, calibrated: bool = False) -> float:
        """What so many probes and rate steps take, and the calibration (wrk) unless done:
        each its settling (or warm-up), its window and the generator's overhead."""
        overhead = WRK_STEP_OVERHEAD if self.generator == "wrk" else STEP_OVERHEAD
        seconds = probes * (self.warmup_s + self.window_s + overhead)
        seconds += steps * (self.settle_s + self.window_s + overhead)
        if self.generator == "wrk" and not calibrated:
            seconds += len(CALIBRATION_RATES) * (self.window_s + overhead)
        return seconds

    def fitted_pool(self, reach_rps: float, lookup_ms: float) -> int:
        """The pool rule, one for every row: Little's law (connections busy = rate x the time a
        lookup holds one) at the rate the fastest service reaches, with ``pool_headroom`` for
        bursts and for the driver's share of the hold, rounded up, within the bounds."""
        busy = reach_rps * lookup_ms / 1000
        return min(max(math.ceil(busy * self.pool_headroom), DEFAULT_POOL_SIZE), MAX_POOL_SIZE)

    def resolved(self) -> RunSettings:
        """These settings as measured: the paced users' rate made explicit."""
        return _replace(self, user_rate=self.per_user_rate)

    def check(self) -> None:
        """Refuse settings that cannot measure anything."""
        if unknown := set(self.scenarios) - set(SCENARIOS):
            raise ValueError(f"unknown scenario(s) {sorted(unknown)}; known: {list(SCENARIOS)}")
        if self.repeats < 1 or self.max_steps < 1 or self.probe_users < 1:
            raise ValueError("--repeats, --max-steps and --probe-users must be at least 1")
        if self.window_s <= 0 or self.settle_s < 0 or self.warmup_s < 0 or self.slo_ms <= 0:
            raise ValueError("--window, --slo-ms must be positive, --settle, --warmup not negative")
        if self.per_user_rate <= 0 or any(rate <= 0 for rate in self.rates):
            raise ValueError("--user-rate and every --rate must be positive")
        if self.expect_workers and self.processes > 1:
            raise ValueError("--processes starts local workers; --expect-workers waits for others")
        if self.generator not in GENERATORS:
            raise ValueError(f"--generator: one of {', '.join(GENERATORS)}")
        if self.generator == "wrk" and (self.expect_workers or self.processes > 1):
            raise ValueError("--generator wrk runs on this machine: no --processes, no workers")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSettings:
        """From JSON (lists become tuples); a field that older results lack takes its default."""
        values: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in data.items()
        }
        return cls(**values)


def _replace(settings: RunSettings, **changes: Any) -> RunSettings:
    return RunSettings(**{**asdict(settings), **changes})


@dataclass(frozen=True)
class Target:
    """A service to measure: a name for the report, its base URL, where its CPU comes from."""

    name: str
    url: str
    pids: tuple[int, ...] = ()
    cpu_from: str | None = None  # k8s:NAMESPACE/LABEL-SELECTOR (the metrics API)
    cpu_allowance: float | None = None  # cores

    @property
    def pods(self) -> PodSelector | None:
        return PodSelector.parse(self.cpu_from) if self.cpu_from else None

    @property
    def cpu_source(self) -> str | None:
        return "pids" if self.pids else self.cpu_from


@dataclass(frozen=True)
class Plan:
    """Everything one ``run`` needs: the settings, the targets, what else to watch and note.

    ``watch``: other local process trees whose CPU each window records (the database, a proxy);
    ``labels``: the run's conditions, kept with each search; ``meta``: facts for the results'
    environment; ``starts``: ``TARGET/SCENARIO`` -> a knee (req/s) from an earlier run, where
    that search starts (no probe, no ladder); ``calibration``: an earlier run's calibration on
    this machine (its results' ``calibration``), taken instead of calibrating again.
    """

    settings: RunSettings
    targets: tuple[Target, ...]
    watch: dict[str, tuple[int, ...]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    starts: dict[str, float] = field(default_factory=dict)
    calibration: list[dict[str, Any]] = field(default_factory=list)

    def check(self) -> None:
        """Refuse a plan that cannot run (every message names the option to change)."""
        self.settings.check()
        names = [target.name for target in self.targets]
        if not names:
            raise ValueError("give at least one --target NAME=URL")
        if len(set(names)) != len(names):
            raise ValueError(f"a target name given twice: {names}")
        for target in self.targets:
            if target.pids and target.cpu_from:
                raise ValueError(f"--pid and --cpu-from both given for {target.name}")
            _ = target.pods  # refuses a malformed source

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        data = json.loads(text)
        return cls(
            settings=RunSettings.from_dict(data["settings"]),
            targets=tuple(Target(**{**t, "pids": tuple(t["pids"])}) for t in data["targets"]),
            watch={name: tuple(pids) for name, pids in data["watch"].items()},
            labels=data["labels"],
            meta=data["meta"],
            starts=data.get("starts", {}),
            calibration=data.get("calibration", []),
        )


class Repeatable(argparse.Action):
    """A repeatable option (``append``) whose first use replaces its default rather than
    adding to it: the default comes from the variable, which the command line overrides."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        given = getattr(namespace, self.dest)
        setattr(namespace, self.dest, [*([] if given is self.default else given), values])


def env_default(env: str, default: Any, kind: Callable[[str], Any] = str) -> Any:
    """An option's default: its variable's value (items, space-separated, for a repeatable
    option, whose ``default`` is a tuple or list), else ``default``."""
    if env not in os.environ:
        return default
    text = os.environ[env]
    return [kind(item) for item in text.split()] if isinstance(default, tuple | list) else text


def add_options(parser: Any, names: tuple[str, ...] | None = None) -> None:
    """``RunSettings``' fields as options of ``parser`` (all, in groups, or just ``names``);
    any argparse parser will do (locust's configargparse one too)."""
    groups: dict[str, Any] = {}
    for spec in fields(RunSettings):
        if names is not None and spec.name not in names:
            continue
        meta, default = spec.metadata, cast("Any", spec.default)
        where = parser if names else groups.get(meta["group"])
        if where is None:
            where = groups[meta["group"]] = parser.add_argument_group(meta["group"])
        flag = _flag(spec)
        upper = flag[2:].upper().replace("-", "_")
        env = meta["env"] or f"LOADTEST_{upper}"
        repeatable = isinstance(default, tuple)
        shown = f"env {env}" + (", space-separated" if repeatable else "")
        shown += "" if default in (None, ()) else f"; default {_show(default)}"
        where.add_argument(
            flag, metavar=upper, type=meta["kind"], help=f"{meta['help']} [{shown}]",
            default=env_default(env, list(default) if repeatable else default, meta["kind"]),
            **({"action": Repeatable} if repeatable else {}),
        )  # fmt: skip


def _flag(spec: Field[Any]) -> str:
    return str(spec.metadata["flag"] or "--" + spec.name.replace("_", "-"))


def _show(default: Any) -> str:
    return " ".join(map(str, default)) if isinstance(default, tuple) else str(default)


def settings_from(args: Any) -> RunSettings:
    """The settings that ``add_options``' options parsed to."""
    values = {
        spec.name: getattr(args, _flag(spec)[2:].replace("-", "_")) for spec in fields(RunSettings)
    }
    return RunSettings.from_dict(values)
