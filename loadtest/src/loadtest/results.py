"""The results file: one JSON document per ``run``, with everything needed to judge it.

``schema`` is bumped whenever a field changes meaning; ``report`` refuses files it does not
know. Latencies are milliseconds, CPU figures are seconds of CPU time within the measuring
window (``*_cores`` = seconds per second of window).
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

import psutil

from loadtest.cpu import affinity, available_cpus, cpu_model

if TYPE_CHECKING:
    from pathlib import Path

SCHEMA = 1
VERSIONED = ("loadtest", "locust", "gevent", "geventhttpclient", "psutil")


@dataclass(frozen=True)
class Latency:
    """Response time percentiles, in milliseconds (locust's rounded histogram)."""

    p50: float
    p90: float
    p99: float
    max: float
    avg: float


@dataclass(frozen=True)
class Measurement:
    """One target under one scenario, over one measuring window."""

    target: str
    url: str
    scenario: str
    window_s: float
    requests: int
    failures: int
    rps: float
    latency_ms: Latency
    service_cpu_s: float | None  # None when the caller gave no pids (e.g. on Kubernetes)
    service_cpu_cores: float | None
    generator_cpu_s: float
    generator_utilisation: float  # of its share: 1.0 = every generator core flat out
    generator_bound: bool  # then rps is a lower bound for the service, not its limit
    # Every core of the runner's machine, busy with anything: shows outside contention.
    machine_cpu_cores: float
    watched_cpu_s: dict[str, float] = field(default_factory=dict)  # run --watch NAME=PID
    errors: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Measurement:
        return cls(**{**data, "latency_ms": Latency(**data["latency_ms"])})


@dataclass(frozen=True)
class Settings:
    """The load profile, the same for every target."""

    users: int
    spawn_rate: float
    warmup_s: float
    duration_s: float
    scenarios: list[str]
    processes: int
    expect_workers: int
    generator_bound_at: float
    seed: int
    rows: int
    hit_names: int


@dataclass(frozen=True)
class RunResults:
    """A whole ``run``: where, how, and one measurement per target and scenario."""

    started_at: str
    finished_at: str
    environment: dict[str, Any]
    settings: Settings
    measurements: list[Measurement]
    schema: int = SCHEMA

    def write(self, directory: Path) -> Path:
        """Write ``loadtest-<start time>.json`` into ``directory``; return its path."""
        directory.mkdir(parents=True, exist_ok=True)
        stamp = self.started_at.replace("-", "").replace(":", "")
        path = directory / f"loadtest-{stamp}.json"
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")
        return path

    @classmethod
    def read(cls, path: Path) -> RunResults:
        data = json.loads(path.read_text())
        if data.get("schema") != SCHEMA:
            raise ValueError(f"{path}: results schema {data.get('schema')!r}, expected {SCHEMA}")
        return cls(
            started_at=data["started_at"],
            finished_at=data["finished_at"],
            environment=data["environment"],
            settings=Settings(**data["settings"]),
            measurements=[Measurement.from_dict(m) for m in data["measurements"]],
        )


def utc_now() -> str:
    """Now, as ISO 8601 UTC to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe_environment(extra: dict[str, str] | None = None) -> dict[str, Any]:
    """The machine and software the load generator runs on, plus the caller's own facts."""
    versions = {}
    for name in VERSIONED:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "unknown"
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cpus_logical": psutil.cpu_count(logical=True),
        "cpus_physical": psutil.cpu_count(logical=False),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "generator_affinity": affinity(),
        # Affinity capped by a cgroup quota (a Kubernetes CPU limit): the generator's share.
        "generator_cpus_available": available_cpus(),
        "versions": versions,
        **(extra or {}),
    }
