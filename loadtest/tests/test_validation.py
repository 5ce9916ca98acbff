"""What the scenarios count as a failure (CONTRACT.md's bodies)."""

from __future__ import annotations

import json

import pytest

from loadtest.validation import check_demo, check_idle, is_wrong_answer

JSON = "application/json"
ROW = {"id": 1, "name": "aB3!", "create_time": None, "update_time": None}


@pytest.mark.parametrize("body", [b"[]", json.dumps([ROW]).encode(), "[]"])
def test_demo_accepts_a_json_array(body: bytes | str) -> None:
    assert check_demo(200, JSON, body) is None


@pytest.mark.parametrize(
    ("status", "content_type", "body", "reason"),
    [
        (503, JSON, b'{"error": "database_unavailable"}', "HTTP 503"),
        (500, JSON, b"[]", "HTTP 500"),
        (200, "text/html", b"[]", "Content-Type"),
        (200, None, b"[]", "Content-Type"),
        (200, JSON, b"<html>", "not JSON"),
        (200, JSON, b"", "not JSON"),
        (200, JSON, b'{"status": "idle"}', "not a JSON array"),
        (200, JSON, b"null", "not a JSON array"),
    ],
)
def test_demo_rejects(status: int, content_type: str | None, body: bytes, reason: str) -> None:
    error = check_demo(status, content_type, body)
    assert error is not None
    assert reason in error


def test_demo_hit_needs_the_seeded_row() -> None:
    body = json.dumps([ROW]).encode()
    assert check_demo(200, JSON, body, name="aB3!") is None
    miss = check_demo(200, JSON, b"[]", name="aB3!")
    assert miss is not None
    assert "--seed" in miss
    assert check_demo(200, JSON, body, name="other") is not None


def test_content_type_parameters_are_tolerated() -> None:
    # The contract forbids a charset; the contract tests enforce that, not the load test.
    assert check_demo(200, "application/json; charset=utf-8", b"[]") is None


def test_idle() -> None:
    assert check_idle(200, JSON, b'{"status": "idle"}') is None
    assert check_idle(200, JSON, b'{"status":"idle"}') is None
    assert check_idle(200, JSON, b'{"status": "ok"}') is not None
    assert check_idle(200, JSON, b"[]") is not None
    assert check_idle(404, JSON, b'{"status": "idle"}') is not None


@pytest.mark.parametrize(
    ("reason", "wrong"),
    [
        ("HTTP 404", True),
        ("HTTP 500", False),  # overloaded or down: a 5xx is the load's, not an answer's
        ("HTTP 503", False),
        ("Content-Type 'text/html', not application/json", True),
        ("body is not a JSON array", True),
        ("no row for a seeded name (does --seed/--rows match the seeded table?)", True),
        ("[Errno 111] Connection refused", False),
        ("timed out", False),
    ],
)
def test_wrong_answers_are_told_from_overload(reason: str, wrong: bool) -> None:
    assert is_wrong_answer(reason) is wrong
