"""Where a ``nox -s bench`` run writes: a temporary folder, moved under ``results/`` only once the
run has finished (a run that fails leaves nothing there)."""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator


@dataclass
class Staging:
    """Where a run writes (``path``), and where its results end up once it finished."""

    path: Path
    final: Path | None = None


@contextmanager
def staged_results(root: Path) -> Iterator[Staging]:
    """A temporary folder for the run, moved to ``root/<UTC time>`` when the block succeeds and
    removed when it raises: a run that fails leaves nothing under ``root``."""
    staging = Staging(Path(tempfile.mkdtemp(prefix="bench-")))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging.path, ignore_errors=True)
        raise
    root.mkdir(parents=True, exist_ok=True)
    staging.final = root / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    shutil.move(staging.path, staging.final)
