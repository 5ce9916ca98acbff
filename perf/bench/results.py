"""The results file's records (written all or none by ``loadtest.results.write_all``).

``SCHEMA`` changes whenever a field changes meaning; ``python -m perf.bench report`` refuses a
file of another schema. The format is documented in perf/README.md ("Output format").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "gevent-or-asyncio/perf/2"

# A failed request: wrk's socket errors and timeouts, and the Lua script's count of answers other
# than 200 (which holds wrk's own "status" count of 4xx and 5xx, so that one is not added).
FAILURES = ("connect", "read", "write", "timeout", "non_200")


@dataclass(frozen=True)
class Role:
    """What a target is, for the tables and the ladder (recorded in the results file)."""

    name: str  # "django", "floor-gevent", "blog-django", ...
    kind: str  # "service", "floor" or "blog"
    stack: str  # "gevent" or "asyncio"
    framework: str | None  # the service and blog app it belongs with; None for a floor
    floor: str | None  # the floor of its stack (services and blog apps)
    blog: str | None  # the blog's app of its framework (services only)
    # The ladder's labels of its layers: "gunicorn + gevent", "Django", "mysqlclient + greenify",
    # "Django ORM"; a floor has no framework and no data library.
    server: str
    framework_name: str | None
    driver: str
    library: str | None


@dataclass(frozen=True)
class Measurement:
    """One wrk run against one target; ``round`` 0 is the warm-up."""

    round: int
    target: str
    path: str
    connections: int
    duration_s: float
    requests: int  # answers, timed out or not
    rps: float
    # Percentiles over every answer, those after wrk's timeout included (wrk's own leave them
    # out); None: beyond the timeout, more than (100 - p)% of answers came later than it.
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float
    errors: dict[str, int]  # connect, read, write, timeout, status (wrk's), non_200 (the script's)
    statuses: dict[str, int]  # answers other than 200, by status
    checked: int  # answers whose status the script checked: must equal requests
    bodies: int  # answers whose body was checked
    body_problem: str | None  # the first body that was not what the contract says
    target_cpu: float  # the target's CPU time over the run, in cores (1.0: its core busy)
    wrk_cpu: float  # wrk's, in cores (one thread: 1.0 is its limit)
    load_cpu: float  # busy share of the load side's CPUs (wrk, the database, the runner)
    db_connections_peak: int  # the target's database connections, highest reading; -1: none

    @property
    def timeouts(self) -> int:
        return self.errors["timeout"]

    @property
    def failures(self) -> int:
        """Failed requests: socket errors, answers other than 200, answers after the timeout."""
        return sum(self.errors[kind] for kind in FAILURES)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "failures": self.failures}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Measurement:
        return cls(**{k: v for k, v in data.items() if k != "failures"})


@dataclass(frozen=True)
class Settings:
    """How a run was made (the summary and the report need these)."""

    smoke: bool
    rows: int
    rounds: int
    duration_s: int
    warmup_s: int
    connections: list[int]
    paths: list[str]
    wrk_timeout_s: int
    target_cpus: list[int]
    load_cpus: list[int]
    env: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class Results:
    """A whole run: what the JSON file holds (summary and verdicts are derived, and recorded)."""

    started: str
    finished: str
    machine: dict[str, Any]
    settings: Settings
    database: dict[str, Any]
    roles: list[Role]
    targets: list[dict[str, Any]]  # per target: command, cwd, environment, pre-load row check
    measurements: list[Measurement]

    def to_dict(self, derived: Mapping[str, Any]) -> dict[str, Any]:
        records = {key: value for key, value in asdict(self).items() if key != "measurements"}
        measurements = [m.to_dict() for m in self.measurements]  # last, after what is derived
        return {"schema": SCHEMA, **records, **derived, "measurements": measurements}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Results:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} results file (schema {data.get('schema')!r})")
        return cls(
            started=data["started"],
            finished=data["finished"],
            machine=data["machine"],
            settings=Settings(**data["settings"]),
            database=data["database"],
            roles=[Role(**role) for role in data["roles"]],
            targets=data["targets"],
            measurements=[Measurement.from_dict(m) for m in data["measurements"]],
        )

    @classmethod
    def load(cls, path: Path) -> Results:
        return cls.from_dict(json.loads(path.read_text()))
