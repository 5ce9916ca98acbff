"""The results file: one JSON document per ``run``, with every step's raw numbers.

``schema`` is bumped whenever a field changes meaning; ``report`` refuses files it does not
know. Latencies are milliseconds (to the microsecond, from the HDR histogram, which each step
keeps too); CPU figures are seconds of CPU time within the step's window.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

from loadtest.cpu import affinity, available_cpus, cpu_model
from loadtest.latency import Latency
from loadtest.search import Capacity, Outcome
from loadtest.settings import RunSettings

if TYPE_CHECKING:
    from collections.abc import Mapping

SCHEMA = 2
VERSIONED = ("loadtest", "locust", "gevent", "geventhttpclient", "hdrhistogram", "psutil")
PROBE = "probe"
RATE = "rate"


@dataclass(frozen=True)
class Step:
    """One window at one load: the probe's closed loop, or an offered rate."""

    kind: str  # PROBE or RATE
    users: int
    offered_rps: float | None  # None for the probe
    window_s: float
    requests: int
    failures: int
    achieved_rps: float
    latency_ms: Latency
    histogram: str  # the window's HdrHistogram of microseconds (base64 V2)
    sustained: bool | None  # None for the probe
    reasons: list[str]  # why not sustained
    service_cpu_s: float | None  # None when the target's CPU is unknown
    generator_cpu_s: float
    generator_utilisation: float  # of its share: 1.0 = every generator core flat out
    generator_bound: bool
    # Every core of the runner's machine, busy with anything: shows outside contention.
    machine_cpu_cores: float
    watched_cpu_s: dict[str, float] = field(default_factory=dict)  # run --watch NAME=PID
    errors: dict[str, int] = field(default_factory=dict)
    # Why the step measured the instrument as well as the service (calibration.marks: wrk's
    # steps); a marked step is also generator_bound, so it never decides a capacity.
    marks: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Step:
        return cls(**{**data, "latency_ms": Latency(**data["latency_ms"])})

    @property
    def cpu_us_per_request(self) -> float | None:
        if self.service_cpu_s is None or not self.requests:
            return None
        return self.service_cpu_s / self.requests * 1e6

    def outcome(self) -> Outcome:
        assert self.offered_rps is not None, "the probe is no rate step"
        return Outcome(self.offered_rps, bool(self.sustained), self.generator_bound)


@dataclass(frozen=True)
class Search:
    """One target under one scenario in one round: its probe, its rate steps, its capacity."""

    round: int  # from 1
    target: str
    scenario: str
    steps: list[Step]  # in the order taken; the probe (if any) first
    capacity: Capacity

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Search:
        return cls(
            round=data["round"],
            target=data["target"],
            scenario=data["scenario"],
            steps=[Step.from_dict(s) for s in data["steps"]],
            capacity=Capacity(**data["capacity"]),
        )

    @property
    def probe(self) -> Step | None:
        return next((s for s in self.steps if s.kind == PROBE), None)

    @property
    def rate_steps(self) -> list[Step]:
        return [s for s in self.steps if s.kind == RATE]

    def step(self, index: int | None) -> Step | None:
        return None if index is None else self.steps[index]


@dataclass(frozen=True)
class TargetInfo:
    """A target as the run knew it."""

    name: str
    url: str
    cpu_allowance: float | None  # cores; None: not given (no per-core figure)
    cpu_source: str | None  # "pids", "k8s:NAMESPACE/SELECTOR", or None (unknown)


@dataclass(frozen=True)
class RunResults:
    """A whole ``run``: where, how, under which conditions, and every search."""

    started_at: str
    finished_at: str
    environment: dict[str, Any]
    settings: RunSettings
    labels: dict[str, str]
    targets: list[TargetInfo]
    searches: list[Search]
    schema: int = SCHEMA
    # The code measured: its git commit and whether the work tree had changes (None: unknown).
    commit: str | None = None
    dirty: bool | None = None
    # The generator alone against a no-work target, per offered rate (``calibration.Point``):
    # what the instrument adds to every figure (one-machine runs with wrk; empty with locust).
    calibration: list[dict[str, Any]] = field(default_factory=list)

    def write(self, directory: Path) -> Path:
        """Write ``loadtest-<start time>.json`` into ``directory`` (never over another run's
        file: runs started in the same second get a suffix); return its path."""
        directory.mkdir(parents=True, exist_ok=True)
        stamp = self.started_at.replace("-", "").replace(":", "")
        text = json.dumps(asdict(self), indent=1) + "\n"
        for attempt in range(1000):
            path = directory / f"loadtest-{stamp}{f'-{attempt}' if attempt else ''}.json"
            try:
                with path.open("x") as file:
                    file.write(text)
            except FileExistsError:
                continue
            return path
        raise FileExistsError(f"{directory}: no free name for loadtest-{stamp}")

    @classmethod
    def read(cls, path: Path) -> RunResults:
        data = json.loads(path.read_text())
        if data.get("schema") != SCHEMA:
            raise ValueError(f"{path}: results schema {data.get('schema')!r}, expected {SCHEMA}")
        return cls(
            started_at=data["started_at"],
            finished_at=data["finished_at"],
            environment=data["environment"],
            settings=RunSettings.from_dict(data["settings"]),
            labels=data["labels"],
            targets=[TargetInfo(**t) for t in data["targets"]],
            searches=[Search.from_dict(s) for s in data["searches"]],
            commit=data.get("commit"),
            dirty=data.get("dirty"),
            calibration=data.get("calibration", []),
        )


def write_all(folder: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write every file into ``folder``, or none: each is complete before any is in place.

    The files are written into a temporary folder beside their destination (the same file
    system), then renamed into place; an error on the way removes them all, and ``folder``
    too if this call created it.
    """
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=folder))
    placed: list[Path] = []
    try:
        for name, content in files.items():
            (staging / name).write_bytes(content)
        for name in files:
            os.replace(staging / name, folder / name)
            placed.append(folder / name)
    except BaseException:
        for path in placed:
            path.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return placed


def utc_now() -> str:
    """Now, as ISO 8601 UTC to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def git_commit(where: Path) -> tuple[str | None, bool | None]:
    """The commit checked out at ``where`` and whether its tree differs from it (untracked
    files count); (None, None) outside a git work tree or without git."""
    try:
        commit = _git(where, "rev-parse", "HEAD")
        changes = _git(where, "status", "--porcelain")
    except (OSError, subprocess.CalledProcessError):
        return None, None
    return commit, bool(changes)


def _git(where: Path, *args: str) -> str:
    command = ["git", "-C", str(where), *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


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
        "os": _os_name(),
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


def _os_name() -> str:
    """The distribution's name (/etc/os-release), else the system's."""
    try:
        return platform.freedesktop_os_release()["PRETTY_NAME"]
    except (OSError, KeyError):
        return platform.system()
