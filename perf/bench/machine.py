"""The machine a run was made on, as the results file records it."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any

import psutil
from loadtest.cpu import cpu_model


def describe() -> dict[str, Any]:
    """CPU model and count, memory, kernel, OS, the runner's Python, wrk, the load average."""
    return {
        "cpu_model": cpu_model(),
        "cpus": os.cpu_count() or 0,
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "os": _os_name(),
        "runner_python": platform.python_version(),
        "wrk": _wrk_version(),
        "load_average_at_start": load_average(),
    }


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.system()


def _wrk_version() -> str:
    result = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
    return result.stdout.split(" [")[0].strip()
