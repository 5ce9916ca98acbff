"""The comparison's rows in a kit database: loadtest's seeder, then the kit's own fixtures.

One seeder for everything that serves the blog's workload (``nox -s up``; ``bench`` and ``perf``
run the same command): ``python -m loadtest seed`` fills ``demo_data`` with its seeded stream of
blog names, so ``python -m loadtest run --rows N`` finds its demo-hit names in it. The
``loadtest`` package must be installed beside the kit (the noxfile's sessions install it).
"""

from __future__ import annotations

import os
import subprocess
import sys

from contract.database import Database
from contract.fixtures import load_fixtures

# A million rows load in well under a minute on a laptop; a server slower than this is stuck.
SEED_TIMEOUT = 600


def seed_rows(database: Database, rows: int) -> None:
    """``rows`` of loadtest's seeded names, then the fixtures' edge cases on top."""
    subprocess.run(
        [sys.executable, "-m", "loadtest", "seed", "--rows", str(rows), "--no-progress"],
        env={**os.environ, "DATABASE_URL": database.url},
        timeout=SEED_TIMEOUT,
        check=True,
    )
    load_fixtures(database)
