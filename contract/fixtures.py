"""The rows the kit loads into ``demo_data``: loadtest's seeded names, then its own edge cases.

One seeder for everything that serves the blog's workload (``nox -s up``, ``bench``, ``perf``):
``python -m loadtest seed`` fills ``demo_data`` with its seeded stream of blog names (``LOAD
DATA LOCAL INFILE`` or multi-row ``INSERT``s), so ``python -m loadtest run --rows N`` finds its
demo-hit names in it; the ``loadtest`` package must be installed beside the kit (the noxfile's
sessions install it). On top, ``load_fixtures`` adds the edge cases of a name lookup and some
blog-like noise. Expectations are never written here: the tests ask the database itself
(``Database.lookup``) which rows a name matches, so collation differences between MySQL and
MariaDB don't matter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime

from loadtest.names import first_names

from contract.database import Database

FIXED = datetime(2024, 8, 20, 1, 0, 0)
# A million rows load in well under a minute on a laptop; a server slower than this is stuck.
SEED_TIMEOUT = 600

# fmt: off
EDGE_NAMES: list[str] = [
    "dup", "dup", "dup",  # duplicates: several rows, id order matters
    "Case", "case", "CASE",  # the default collations ignore case
    "trail", "trail ", "trail  ",  # ... and trailing spaces (PAD SPACE)
    "emoji 😀", "😈", "\N{GOTHIC LETTER HWAIR}", "中文名字",  # 4-byte and other multibyte UTF-8
    "O'Brien", 'say "hi"', "`tick`",  # quotes
    "back\\slash", "\\", "\\\\",  # backslashes
    "100%", "%", "a_b", "_", "%_%",  # LIKE wildcards, which '=' must not treat as such
    "' OR '1'='1", "x'; DROP TABLE demo_data; --", "/* c */", "-- ",  # injection attempts
    "x" * 255, "é" * 255, "😀" * 255,  # the column's full width, in 1, 2 and 4 bytes
    "a", "A", "b", "1", "!", "+", "=",  # blog-alphabet names short enough to be hit at random
    "tab\there", "new\nline", "space inside",
]
# fmt: on
# Rows with explicit timestamps: a fixed instant, and the NULL the blog's columns allow.
TIMED_ROWS: list[tuple[str, datetime | None, datetime | None]] = [
    ("fixed", FIXED, FIXED),
    ("nullable", FIXED, None),
]
# A zero TIMESTAMP, which MariaDB and MySQL without NO_ZERO_DATE store: null, as NULL is.
ZERO_DATE_NAME = "zero-date"
NOISE_ROWS = 500

# Names the tests look up: every edge name, variants that only a collation can match, misses.
PROBE_NAMES: list[str] = sorted(
    {*EDGE_NAMES, "fixed", "nullable", ZERO_DATE_NAME}
    | {"DUP", "Trail", "TRAIL   ", "missing", "dup ", "😀", "Ö"}
)


def load_fixtures(database: Database) -> None:
    """Insert the edge cases, the timed rows and seeded blog-like noise."""
    # The noise: the seeder's first names (its default seed), drawn as the blog draws a name.
    database.insert([*EDGE_NAMES, *TIMED_ROWS, *first_names(NOISE_ROWS)])
    database.insert_zero_dates(ZERO_DATE_NAME)


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
