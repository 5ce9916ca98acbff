"""The kit's process helpers: a free port, a log's tail, waiting until a process is ready,
stopping a process group, and what a Dockerfile runs (its last ``CMD``, its last stage's ``ENV``).

https://docs.docker.com/reference/dockerfile/ (exec form, line continuations, ``ENV``)
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tail(log: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of ``log``, or a note when it cannot be read."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {log})"


def stop_group(
    process: subprocess.Popen[bytes], timeout: float, signum: int = signal.SIGTERM
) -> int:
    """``signum`` (SIGTERM, as Kubernetes would send) to ``process``'s whole group (started with
    ``start_new_session``); SIGKILL after ``timeout`` s. Its exit code."""
    if process.poll() is None:
        _signal_group(process, signum)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
    return process.returncode


def wait_ready(
    process: subprocess.Popen[bytes],
    ready: Callable[[], bool],
    *,
    what: str,
    log: Path,
    timeout: float,
    error: type[Exception] = RuntimeError,
) -> None:
    """Poll ``ready`` until it holds; raise ``error`` with the end of ``log`` when ``process``
    exits first or ``timeout`` s pass (stopping it is the caller's)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise error(f"{what} exited with {process.returncode}:\n{tail(log)}")
        if ready():
            return
        time.sleep(0.05)
    raise error(f"{what}: not ready within {timeout:.0f} s:\n{tail(log)}")


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def dockerfile_stage(dockerfile: Path) -> list[tuple[str, str]]:
    """The last stage's instructions, (keyword, arguments), continuations joined."""
    stage: list[tuple[str, str]] = []
    for line in re.sub(r"\\\n", " ", dockerfile.read_text()).splitlines():
        keyword, _, arguments = line.strip().partition(" ")
        if not keyword or keyword.startswith("#"):
            continue
        if keyword.upper() == "FROM":
            stage = []
        stage.append((keyword.upper(), arguments.strip()))
    return stage


def dockerfile_command(dockerfile: Path) -> tuple[str, ...]:
    """The last ``CMD`` of a Dockerfile, which must use the exec (JSON) form."""
    commands = [
        arguments for keyword, arguments in dockerfile_stage(dockerfile) if keyword == "CMD"
    ]
    if not commands:
        raise ValueError(f"{dockerfile} has no CMD")
    try:
        command = json.loads(commands[-1])
    except json.JSONDecodeError as error:
        raise ValueError(f'{dockerfile}: CMD must be exec form, CMD ["..."]') from error
    if not command or not all(isinstance(part, str) for part in command):
        raise ValueError(f"{dockerfile}: CMD must be a non-empty list of strings")
    return tuple(command)


def dockerfile_env(dockerfile: Path) -> dict[str, str]:
    """The ``ENV`` of a Dockerfile's last stage (``KEY=VALUE`` form), PATH left to the caller."""
    env: dict[str, str] = {}
    for keyword, arguments in dockerfile_stage(dockerfile):
        if keyword == "ENV":
            env.update(pair.partition("=")[::2] for pair in shlex.split(arguments))
    env.pop("PATH", None)
    return env
