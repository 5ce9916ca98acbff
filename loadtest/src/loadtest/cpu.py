"""CPU time: of the services under test, of the load generator, and what the machine offers.

Everything here reads the kernel's per-process counters (user + system seconds, via psutil)
rather than sampling utilisation, so a figure over a window is exact whatever the sampling
cadence. A process is keyed by (pid, create time) so a recycled pid is never confused with the
process it replaced.
"""

from __future__ import annotations

import os
import platform
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping

ProcessKey = tuple[int, float]
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def process_cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU seconds used so far by one process (this one by default)."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def busy_seconds(cpus: Collection[int] | None = None) -> float:
    """CPU seconds ``cpus`` (all of this machine's by default) were busy so far: user, nice,
    system, interrupts, and time the hypervisor stole (Linux's fields; guest time is counted in
    user already, idle and iowait are not busy). The one definition of "busy"."""
    per_cpu = psutil.cpu_times(percpu=True)  # one entry per CPU, in CPU order
    chosen = per_cpu if cpus is None else [per_cpu[cpu] for cpu in cpus]
    return float(sum(t.user + t.nice + t.system + t.irq + t.softirq + t.steal for t in chosen))


def stolen_seconds() -> float:
    """CPU seconds the hypervisor took from this machine so far (counted in ``busy_seconds``):
    on a shared host it rises with our own load, and the services wait meanwhile."""
    return float(psutil.cpu_times().steal)


def tree_cpu(pids: Iterable[int]) -> dict[ProcessKey, float]:
    """CPU seconds so far of each process in the trees rooted at ``pids`` (e.g. a master and
    its workers); processes that are gone are skipped."""
    seen: dict[ProcessKey, float] = {}
    for pid in pids:
        try:
            root = psutil.Process(pid)
            family = [root, *root.children(recursive=True)]
        except psutil.Error:
            continue
        for process in family:
            try:
                with process.oneshot():
                    times = process.cpu_times()
                    seen[(process.pid, process.create_time())] = times.user + times.system
            except psutil.Error:
                continue  # exited between listing and reading
    return seen


class PidMeter:
    """A window's CPU seconds of local process trees, from the kernel's counters (None for
    no process: unknown)."""

    def __init__(self, pids: tuple[int, ...]) -> None:
        self.pids = pids
        self.before: dict[ProcessKey, float] = {}

    def begin(self) -> None:
        self.before = tree_cpu(self.pids)

    def end(self) -> float | None:
        return cpu_delta(self.before, tree_cpu(self.pids)) if self.pids else None


def cpu_delta(before: dict[ProcessKey, float], after: dict[ProcessKey, float]) -> float:
    """CPU seconds spent between two ``tree_cpu`` snapshots; a process born in between counts
    in full, one that died in between is lost (its time cannot be read any more)."""
    return sum(seconds - before.get(key, 0.0) for key, seconds in after.items())


def affinity() -> list[int]:
    """The CPUs this process may run on."""
    return sorted(os.sched_getaffinity(0))


def split_cpus(service_cores: int | None = None) -> tuple[list[int], list[int]]:
    """This process's CPUs split for a one-machine run: the services' first (``service_cores``
    of them, half by default), the rest for the load generator and the database; a single CPU
    is shared by both."""
    cpus = affinity()
    if len(cpus) < 2:
        return cpus, cpus
    first = service_cores or len(cpus) // 2
    return cpus[:first], cpus[first:]


def cgroup_cpu_limit(path: Path = CGROUP_CPU_MAX) -> float | None:
    """The cgroup v2 CPU quota in cores (a Kubernetes ``limits.cpu``), or None if unlimited."""
    try:
        quota, period = path.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    return None if quota == "max" else int(quota) / int(period)


def available_cpus() -> float:
    """How many cores this process can use: its affinity, capped by a cgroup quota."""
    cores = float(len(affinity()))
    limit = cgroup_cpu_limit()
    return min(cores, limit) if limit else cores


def parse_cpu_list(text: str) -> set[int]:
    """``"0"``, ``"1-3"``, ``"0,2-3"`` (the kernel's and taskset's list format) to a set."""
    cpus: set[int] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        low, _, high = part.partition("-")
        cpus.update(range(int(low), int(high or low) + 1))
    if not cpus:
        raise ValueError(f"no CPU in {text!r}")
    return cpus


def cpu_model() -> str:
    """The processor's marketing name, as /proc/cpuinfo gives it (the platform's otherwise)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@dataclass(frozen=True)
class ProcessUsage:
    """One load-generating process at one instant: where it runs and its CPU time so far."""

    host: str
    cpu_seconds: float
    cpus: float  # cores it may use (affinity, capped by a cgroup quota)

    @classmethod
    def here(cls) -> ProcessUsage:
        return cls(socket.gethostname(), process_cpu_seconds(), available_cpus())


MASTER_NODE = "master"  # a locust master coordinates; it generates no load itself


def generator_load(
    before: Mapping[str, ProcessUsage], after: Mapping[str, ProcessUsage], window: float
) -> tuple[float, float]:
    """CPU seconds the load generator used in the window, and its utilisation of its share.

    A locust process runs its users on one core (gevent), so its share is one core, or less
    when its affinity or cgroup quota says so; processes on one host also share that host's
    cores. The utilisation is the highest of the per-process and per-host ratios: when any is
    near 1, the generator, not the service, capped the throughput.
    """
    per_host: dict[str, list[tuple[str, float, float]]] = {}
    for node, end in after.items():
        start = before.get(node)
        if start is None:
            continue  # joined mid-window: no baseline
        used = max(end.cpu_seconds - start.cpu_seconds, 0.0)
        per_host.setdefault(end.host, []).append((node, used, end.cpus))
    total = 0.0
    utilisation = 0.0
    for processes in per_host.values():
        host_used = sum(used for _, used, _ in processes)
        total += host_used
        load_processes = sum(1 for node, _, _ in processes if node != MASTER_NODE) or 1
        host_share = min(load_processes, *(cpus for _, _, cpus in processes))
        utilisation = max(utilisation, host_used / (window * host_share))
        for node, used, cpus in processes:
            if node != MASTER_NODE:
                utilisation = max(utilisation, used / (window * min(1.0, cpus)))
    return total, utilisation
