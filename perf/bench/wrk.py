"""One wrk run, pinned to the load CPUs, with wrk_check.lua: the numbers, the samples, wrk's CPU.

wrk 4.1 counts an answer that comes after ``--timeout`` as a timeout (and still as a request)
and leaves it out of its latency histogram; requests still unanswered when the run ends are not
counted at all. The script turns the percentiles into percentiles over every answer (see its
``done``). https://github.com/wg/wrk
"""

from __future__ import annotations

import json
import resource
import subprocess
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("wrk_check.lua")
# Beyond its duration, how long a wrk run may take (start, connect, report) before it is killed.
GRACE_S = 60


class WrkError(RuntimeError):
    """wrk did not run, or printed no result."""


@dataclass(frozen=True)
class WrkOutput:
    """What the script printed: its numbers, and the sampled answers (content type, body)."""

    numbers: dict[str, Any]
    samples: list[tuple[str, bytes]]


def parse(stdout: str) -> WrkOutput:
    """The script's ``PERF_JSON`` line and ``PERF_BODY`` lines, from wrk's whole output."""
    numbers: dict[str, Any] | None = None
    samples = []
    for line in stdout.splitlines():
        if line.startswith("PERF_JSON "):
            numbers = json.loads(line.removeprefix("PERF_JSON "))
        elif line.startswith("PERF_BODY "):
            content_type, _, body = bytes.fromhex(line.removeprefix("PERF_BODY ")).partition(b"\n")
            samples.append((content_type.decode("latin-1"), body))
    if numbers is None:
        raise WrkError(f"wrk printed no result:\n{stdout}")
    return WrkOutput(numbers, samples)


def run(
    url: str, *, connections: int, seconds: int, timeout_s: int, cpus: Collection[int]
) -> tuple[WrkOutput, float]:
    """Run wrk on ``cpus`` (one thread); its output, and the CPU seconds wrk used."""
    command = [
        "taskset", "-c", ",".join(map(str, sorted(cpus))),
        "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout_s}s",
        "-s", str(SCRIPT), url,
    ]  # fmt: skip
    # taskset execs wrk in the same process: this process's children's usage grows by wrk's.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + GRACE_S, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise WrkError(f"wrk exited with {result.returncode}:\n{result.stdout}{result.stderr}")
    return parse(result.stdout), cpu
