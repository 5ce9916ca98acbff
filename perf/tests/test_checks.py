"""What the answers must be, and which problems fail a run (timeouts do not)."""

from __future__ import annotations

from perf.bench.checks import answer_problem, run_problems, sample_problem, timed_out
from perf.bench.stats import summarise
from perf.tests.recorded import CLEAN, ROLES, measurement, replaced

ROW = b'[{"id":7,"name":"a","create_time":"2024-08-20T01:00:00Z","update_time":null}]'
KINDS = {role.name: role.kind for role in ROLES}
ROWS_OK = {name: "ok" for name in KINDS}


def test_the_contract_answers() -> None:
    assert answer_problem("/demo", "application/json", b"[]") is None
    assert answer_problem("/demo", "application/json", ROW) is None
    assert answer_problem("/idle", "application/json", b'{"status": "idle"}') is None


def test_wrong_answers() -> None:
    assert answer_problem("/demo", "application/json; charset=utf-8", b"[]")
    assert answer_problem("/demo", "application/json", b"<html>")
    assert answer_problem("/idle", "application/json", b'{"status": "ok"}')
    # The blog's FastAPI and Flask: records as strings, timestamps in the wrong format.
    assert answer_problem("/demo", "application/json", b'["<databases...Record object at 0x7f>"]')
    late = b'[{"id":1,"name":"R","create_time":"2026-12-01 20:24:31","update_time":null}]'
    assert answer_problem("/demo", "application/json", late)
    reordered = b'[{"name":"a","id":7,"create_time":null,"update_time":null}]'
    assert answer_problem("/demo", "application/json", reordered)


def test_samples() -> None:
    good = [("application/json", b"[]"), ("application/json", ROW)]
    assert sample_problem("/demo", good) is None
    assert sample_problem("/demo", [*good, ("text/plain", b"[]")]) == "Content-Type 'text/plain'"


def test_a_clean_run_passes() -> None:
    assert run_problems(ROWS_OK, KINDS, summarise(ROLES, CLEAN)) == []


def test_timeouts_are_listed_but_do_not_fail_the_run() -> None:
    rows = summarise(
        ROLES, replaced(CLEAN, measurement("django", "/idle", 1578, 0.96, timeouts=643))
    )
    assert run_problems(ROWS_OK, KINDS, rows) == []
    assert timed_out(rows) == ["django /idle c64: 643 timeouts"]


def test_a_service_or_floor_fails_the_run() -> None:
    runs = replaced(
        CLEAN,
        measurement("django", "/demo", 868, 0.98, non_200=4, timeouts=1),
        measurement("floor-asyncio", "/idle", 10878, 0.97, body_problem="/idle sent b'{}'"),
    )
    checks = {**ROWS_OK, "fastapi": "wrong: 'dup': not the database's rows"}
    assert run_problems(checks, KINDS, summarise(ROLES, runs)) == [
        "fastapi: rows before the load: wrong: 'dup': not the database's rows",
        "django /demo c64: 4 failed requests",
        "floor-asyncio /idle c64: wrong: /idle sent b'{}'",
    ]


def test_the_blog_apps_never_fail_the_run() -> None:
    runs = replaced(
        CLEAN, measurement("blog-django", "/demo", 328, 0.96, non_200=9, body_problem="x")
    )
    checks = {**ROWS_OK, "blog-fastapi": "wrong: /demo sent b'[\"<databases'"}
    assert run_problems(checks, KINDS, summarise(ROLES, runs)) == []
