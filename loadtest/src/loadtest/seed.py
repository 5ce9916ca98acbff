"""``python -m loadtest seed``: fill ``demo_data`` with the blog's random names, in bulk.

Idempotence rule: the table is left alone when it already holds exactly ``rows`` rows whose
first names are this seed's (a second run is a no-op); an empty table is loaded; anything else
(another row count or another seed) is refused unless ``--replace``, which truncates and
reloads. The whole load is one transaction, so an interrupted run leaves an empty table behind,
never a partial one that would later be mistaken for a complete seed.

Rows go in as ``LOAD DATA LOCAL INFILE`` chunks (the fastest path on MySQL and MariaDB), or as
multi-row ``INSERT`` statements when the server refuses local files (MySQL 8 does by default).
"""

from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from importlib.resources import files
from itertools import islice
from typing import TYPE_CHECKING, Any

import pymysql
from tqdm import tqdm

from loadtest.database import connect
from loadtest.names import DEFAULT_SEED, first_names, seeded_names

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

# The contract's DDL, packaged so the image needs nothing else (the kit reads this copy too).
SCHEMA = files("loadtest").joinpath("schema.sql").read_text()
CHUNK_ROWS = 50_000
FINGERPRINT_ROWS = 100
INSERT_BATCH_ROWS = 5_000

# Errors meaning "this server (or client) does not take LOAD DATA LOCAL"; anything else is real.
LOCAL_INFILE_REFUSED = {
    1148,  # ER_NOT_ALLOWED_COMMAND (MariaDB, MySQL 5.7 with local_infile=OFF)
    2068,  # CR_LOAD_DATA_LOCAL_INFILE_REJECTED
    3948,  # ER_CLIENT_LOCAL_FILES_DISABLED (MySQL 8)
    3950,  # ER_LOAD_DATA_INFILE_FILE_OUTSIDE_DIRECTORY
    4166,  # ER_LOAD_INFILE_CAPABILITY_DISABLED (MariaDB)
}
LOAD_STATEMENT = (
    "LOAD DATA LOCAL INFILE %s INTO TABLE demo_data CHARACTER SET utf8mb4 "
    "FIELDS TERMINATED BY '\\t' ESCAPED BY '' LINES TERMINATED BY '\\n' (name)"
)


class Method(StrEnum):
    """How rows are sent."""

    AUTO = "auto"
    LOAD_DATA = "load-data"
    INSERT = "insert"


class SeedConflictError(RuntimeError):
    """The table holds rows this seed did not make, or another number of them."""


@dataclass(frozen=True)
class SeedOutcome:
    """What ``seed`` did."""

    rows: int
    loaded: bool
    method: str
    seconds: float


def seed_table(
    url: str,
    rows: int,
    *,
    seed: int = DEFAULT_SEED,
    replace: bool = False,
    method: Method = Method.AUTO,
    progress: bool = True,
) -> SeedOutcome:
    """Make ``demo_data`` hold exactly ``rows`` seeded rows (see the module docstring)."""
    if rows < 0:
        raise ValueError("rows must be >= 0")
    started = time.perf_counter()
    with connect(url, local_infile=True, autocommit=False) as conn:
        with conn.cursor() as cursor:
            cursor.execute(SCHEMA)  # CREATE TABLE IF NOT EXISTS: a no-op when it exists
            cursor.execute("SELECT COUNT(*) FROM demo_data")
            existing = int(cursor.fetchone()[0])
            if existing == rows and _has_fingerprint(cursor, rows, seed):
                conn.rollback()
                return SeedOutcome(rows, False, "none", time.perf_counter() - started)
            if existing and not replace:
                raise SeedConflictError(
                    f"demo_data holds {existing} rows, not the {rows} rows of seed {seed}; "
                    "rerun with --replace to truncate it and load again"
                )
            if existing:
                cursor.execute("TRUNCATE TABLE demo_data")  # also restarts ids at 1
        used = _load(conn, rows, seed, method, progress)
        conn.commit()
    return SeedOutcome(rows, True, used, time.perf_counter() - started)


def _has_fingerprint(cursor: Any, rows: int, seed: int) -> bool:
    """Whether the lowest ids hold this seed's first names (cheap, unlike checking them all)."""
    count = min(rows, FINGERPRINT_ROWS)
    cursor.execute("SELECT name FROM demo_data ORDER BY id LIMIT %s", (count,))
    return [row[0] for row in cursor.fetchall()] == first_names(count, seed)


def _chunks(rows: int, seed: int, size: int) -> Iterator[list[str]]:
    names = seeded_names(seed)
    for start in range(0, rows, size):
        yield list(islice(names, min(size, rows - start)))


def _load(
    conn: pymysql.Connection[Any], rows: int, seed: int, method: Method, progress: bool
) -> str:
    with (
        tqdm(total=rows, unit="rows", unit_scale=True, desc="seed", disable=not progress) as bar,
        conn.cursor() as cursor,
    ):
        send: Callable[[Any, list[str]], None] = _insert if method is Method.INSERT else _load_data
        for chunk in _prefetched(_chunks(rows, seed, CHUNK_ROWS)):
            try:
                send(cursor, chunk)
            except pymysql.err.OperationalError as error:
                if method is not Method.AUTO or send is _insert or not _refused(error):
                    raise
                send = _insert  # nothing of the refused statement was stored; go on inserting
                send(cursor, chunk)
            bar.update(len(chunk))
    return Method.INSERT.value if send is _insert else Method.LOAD_DATA.value


def _prefetched(chunks: Iterator[list[str]]) -> Iterator[list[str]]:
    """Draw the next chunk of names in a thread while the server stores the current one.

    Drawing names is as slow as the server's insert; the driver waits on the socket with the
    GIL released, so the two overlap and the load takes about half the time.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="names") as pool:
        pending: Future[list[str]] = pool.submit(next, chunks, [])
        while chunk := pending.result():
            pending = pool.submit(next, chunks, [])
            yield chunk


def _refused(error: pymysql.err.OperationalError) -> bool:
    return bool(error.args) and error.args[0] in LOCAL_INFILE_REFUSED


def _load_data(cursor: Any, names: list[str]) -> None:
    # PyMySQL reads LOCAL files by name; TMPDIR is writable even on a read-only image.
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".tsv", delete=False) as out:
        out.write("\n".join(names))
        out.write("\n")
    try:
        cursor.execute(LOAD_STATEMENT, (out.name,))
    finally:
        os.unlink(out.name)


def _insert(cursor: Any, names: list[str]) -> None:
    # executemany turns a plain INSERT ... VALUES into multi-row statements (max_stmt_length).
    for start in range(0, len(names), INSERT_BATCH_ROWS):
        batch = [(name,) for name in names[start : start + INSERT_BATCH_ROWS]]
        cursor.executemany("INSERT INTO demo_data (name) VALUES (%s)", batch)
