"""The comparison's rows in a kit database: loadtest's seeder, then the kit's own fixtures.

One seeder for everything that serves the blog's workload (``nox -s up``, ``bench``, ``perf``):
``python -m loadtest seed`` fills ``demo_data`` with its seeded stream of blog names (``LOAD
DATA LOCAL INFILE`` or multi-row ``INSERT``s), so ``python -m loadtest run --rows N`` finds its
demo-hit names in it. The ``loadtest`` package must be installed beside the kit (the
noxfile's sessions install it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

from contract.database import Database
from contract.fixtures import load_fixtures

# A million rows load in well under a minute on a laptop; a server slower than this is stuck.
SEED_TIMEOUT = 600


def seed_rows(database: Database, rows: int, *, fixtures: bool = True) -> float:
    """``rows`` of loadtest's seeded names, then (``fixtures``) the fixtures' edge cases on
    top; returns the seconds it took."""
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "loadtest", "seed", "--rows", str(rows), "--no-progress"],
        env={**os.environ, "DATABASE_URL": database.url},
        timeout=SEED_TIMEOUT,
        check=True,
    )
    if fixtures:
        load_fixtures(database)
    return time.monotonic() - started
