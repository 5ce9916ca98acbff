"""The machine a run was made on, as the results file records it: loadtest's description of
the machine, with what perf adds (wrk's version, the load average, the perf report's names)."""

from __future__ import annotations

import os
import platform
import subprocess
from typing import Any

from loadtest.results import describe_environment


def describe() -> dict[str, Any]:
    """CPU model and count, memory, kernel, OS, Python, wrk, the load average."""
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    machine = describe_environment()
    return {
        **machine,
        "cpus": machine["cpus_logical"],
        "kernel": platform.release(),
        "wrk": wrk.stdout.split(" [")[0].strip(),
        "load_average_at_start": load_average(),
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
