"""The results file: written whole or not at all; read back as it was written."""

from __future__ import annotations

from pathlib import Path

import pytest
from loadtest.results import write_all

from perf.bench.results import SCHEMA, Results
from perf.tests.recorded import CLEAN, measurement, results


def test_round_trip() -> None:
    runs = [*CLEAN, measurement("django", "/idle", 1578, 0.96, timeouts=3, p99_ms=None)]
    document = results(runs).to_dict({"summary": []})
    assert document["schema"] == SCHEMA
    assert document["measurements"][-1]["failures"] == 3
    again = Results.from_dict(document)
    assert again == results(runs)


def test_another_schema_is_refused() -> None:
    document = results().to_dict({})
    with pytest.raises(ValueError, match=r"not a gevent-or-asyncio/perf/2 results file"):
        Results.from_dict({**document, "schema": "gevent-or-asyncio/perf/1"})


def test_files_are_written_whole(tmp_path: Path) -> None:
    placed = write_all(tmp_path / "results", {"a.json": b"{}", "a.md": b"# a\n"})
    assert [p.name for p in placed] == ["a.json", "a.md"]
    assert sorted(p.name for p in (tmp_path / "results").iterdir()) == ["a.json", "a.md"]


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    # The second name cannot be written (its folder does not exist): neither file may stay,
    # nor the results folder this call created.
    with pytest.raises(FileNotFoundError):
        write_all(tmp_path / "results", {"a.json": b"{}", "missing/a.md": b"# a\n"})
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_cannot_be_put_in_place_takes_the_others_back(tmp_path: Path) -> None:
    # "a.md" is a folder already: a.json is in place by then, and must go again.
    (tmp_path / "a.md").mkdir()
    (tmp_path / "a.md" / "x").write_text("")
    with pytest.raises(OSError, match=r"a\.md"):
        write_all(tmp_path, {"a.json": b"{}", "a.md": b"# a\n"})
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"]


def test_a_failed_write_keeps_an_existing_folder_as_it_was(tmp_path: Path) -> None:
    (tmp_path / "older.json").write_text("{}")
    with pytest.raises(FileNotFoundError):
        write_all(tmp_path, {"a.json": b"{}", "missing/a.md": b"# a\n"})
    assert [p.name for p in tmp_path.iterdir()] == ["older.json"]
