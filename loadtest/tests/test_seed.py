"""The seeder against a real server: row count, name distribution, idempotence, fallbacks."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any

import pytest

from loadtest import seed as seed_module
from loadtest.database import connect
from loadtest.names import ALPHABET, MAX_LENGTH, first_names
from loadtest.seed import Method, SeedConflictError, seed_table

if TYPE_CHECKING:
    from conftest import CLI, Database

ROWS = 3_000


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several chunks even for a small table, so chunking and prefetching are exercised."""
    monkeypatch.setattr(seed_module, "CHUNK_ROWS", 700)
    monkeypatch.setattr(seed_module, "INSERT_BATCH_ROWS", 300)


def names_by_id(db: Database) -> list[str]:
    return [row[0] for row in db.execute("SELECT name FROM demo_data ORDER BY id")]


@pytest.mark.parametrize("method", [Method.LOAD_DATA, Method.INSERT])
def test_creates_the_table_and_loads_the_seeded_names(no_table: Database, method: Method) -> None:
    outcome = seed_table(no_table.url, ROWS, seed=5, method=method, progress=False)
    assert outcome.loaded
    assert outcome.method == method.value
    names = names_by_id(no_table)
    assert names == first_names(ROWS, seed=5)
    # Ids ascend with the stream but may skip: bulk statements reserve auto-increment ranges.
    assert no_table.execute("SELECT MIN(id) FROM demo_data")[0][0] == 1


def test_stored_names_follow_the_blogs_distribution(no_table: Database) -> None:
    seed_table(no_table.url, ROWS, seed=6, progress=False)
    names = names_by_id(no_table)
    assert len(names) == ROWS
    lengths = [len(name) for name in names]
    assert 1 <= min(lengths) <= 5
    assert MAX_LENGTH - 5 <= max(lengths) <= MAX_LENGTH
    assert abs(statistics.mean(lengths) - 127) < 6
    assert set("".join(names)) == set(ALPHABET)  # stored as sent: no escaping, no truncation
    (timestamps_missing,) = no_table.execute(
        "SELECT COUNT(*) FROM demo_data WHERE create_time IS NULL OR update_time IS NULL"
    )[0]
    assert timestamps_missing == 0  # the columns' defaults apply, as in the blog


FINGERPRINT = "SELECT COUNT(*), MAX(id), SUM(CRC32(CONCAT(id, name, create_time))) FROM demo_data"


def test_a_second_run_does_nothing(no_table: Database) -> None:
    seed_table(no_table.url, ROWS, seed=7, progress=False)
    before = no_table.execute(FINGERPRINT)
    outcome = seed_table(no_table.url, ROWS, seed=7, progress=False)
    assert not outcome.loaded
    assert no_table.execute(FINGERPRINT) == before


def test_other_rows_are_refused_unless_replaced(no_table: Database) -> None:
    seed_table(no_table.url, ROWS, seed=8, progress=False)
    with pytest.raises(SeedConflictError, match="--replace"):
        seed_table(no_table.url, ROWS + 10, seed=8, progress=False)
    with pytest.raises(SeedConflictError):
        seed_table(no_table.url, ROWS, seed=9, progress=False)  # same count, other names
    assert names_by_id(no_table) == first_names(ROWS, seed=8)  # refused: untouched
    outcome = seed_table(no_table.url, 500, seed=9, replace=True, progress=False)
    assert outcome.loaded
    assert names_by_id(no_table) == first_names(500, seed=9)


def test_falls_back_to_inserts_when_local_files_are_refused(
    no_table: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def without_local_files(url: str, **overrides: Any) -> Any:
        # The client flag off: the server answers LOAD DATA LOCAL with a refusal, as MySQL 8
        # does with its default local_infile=OFF.
        return connect(url, **{**overrides, "local_infile": False})

    monkeypatch.setattr(seed_module, "connect", without_local_files)
    outcome = seed_table(no_table.url, ROWS, seed=10, progress=False)
    assert outcome.method == Method.INSERT.value
    assert names_by_id(no_table) == first_names(ROWS, seed=10)


def test_an_interrupted_load_leaves_an_empty_table(
    no_table: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_after_two(cursor: Any, names: list[str], calls: list[int] = []) -> None:  # noqa: B006
        calls.append(1)
        if len(calls) > 2:
            raise KeyboardInterrupt
        cursor.executemany("INSERT INTO demo_data (name) VALUES (%s)", [(n,) for n in names])

    monkeypatch.setattr(seed_module, "_insert", broken_after_two)
    with pytest.raises(KeyboardInterrupt):
        seed_table(no_table.url, ROWS, seed=11, method=Method.INSERT, progress=False)
    assert no_table.execute("SELECT COUNT(*) FROM demo_data")[0][0] == 0
    monkeypatch.undo()
    assert seed_table(no_table.url, ROWS, seed=11, progress=False).loaded


def test_command_line(no_table: Database, cli: CLI) -> None:
    env = {"DATABASE_URL": no_table.url}
    first = cli("seed", "--rows", "1000", "--seed", "12", env=env)
    assert "loaded 1000 rows" in first.stdout
    second = cli("seed", "--rows", "1000", "--seed", "12", "--no-progress", env=env)
    assert "already holds" in second.stdout
    refused = cli("seed", "--rows", "999", "--seed", "12", env=env, check=False)
    assert refused.returncode == 1
    assert "--replace" in refused.stderr
    missing = cli("seed", "--rows", "1", env={"DATABASE_URL": ""}, check=False)
    assert missing.returncode == 2
