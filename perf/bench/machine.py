"""The machine a run was made on, as the results file records it: loadtest's description of
the machine, with what perf adds (wrk's version, the load average, the perf report's names)."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from loadtest.results import describe_environment, git_commit


def describe() -> dict[str, Any]:
    """CPU model and count, memory, kernel, OS, Python, wrk, the load average, the commit."""
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    machine = describe_environment()
    commit, dirty = git_commit(Path(__file__).parent)
    return {
        **machine,
        "cpus": machine["cpus_logical"],
        "kernel": platform.release(),
        "wrk": wrk.stdout.split(" [")[0].strip(),
        "load_average_at_start": load_average(),
        "commit": commit,  # the code measured (None: not a git work tree)
        "dirty": dirty,
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]
