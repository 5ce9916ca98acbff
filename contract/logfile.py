"""The end of a server's log file, for error messages when a server fails to start or stop."""

from __future__ import annotations

from pathlib import Path


def tail(log: Path, lines: int) -> str:
    """The last ``lines`` lines of ``log``, or a note when it cannot be read."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {log})"
