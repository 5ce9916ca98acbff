"""What counts as a good answer, per CONTRACT.md; kept free of locust so it tests on its own.

Each check returns None for a good response, else the reason it failed (locust's failure
message, which the results and the report count and show).
"""

from __future__ import annotations

import json
from typing import Any

JSON_TYPE = "application/json"
IDLE_BODY = {"status": "idle"}


def _json(
    status: int, content_type: str | None, body: bytes | str | None
) -> tuple[Any, str | None]:
    if status != 200:
        return None, f"HTTP {status}"
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != JSON_TYPE:
        return None, f"Content-Type {content_type!r}, not {JSON_TYPE}"
    try:
        return json.loads(body or b""), None
    except ValueError:
        return None, "body is not JSON"


def check_demo(
    status: int, content_type: str | None, body: bytes | str | None, *, name: str | None = None
) -> str | None:
    """``/demo``: 200 with a JSON array; with ``name`` (a seeded one) the array holds its row."""
    rows, error = _json(status, content_type, body)
    if error:
        return error
    if not isinstance(rows, list):
        return "body is not a JSON array"
    if name is not None and not any(
        isinstance(row, dict) and row.get("name") == name for row in rows
    ):
        # The name was seeded, so its row exists: an empty answer means the database holds
        # other data than the runner's --seed/--rows describe.
        return "no row for a seeded name (does --seed/--rows match the seeded table?)"
    return None


def is_wrong_answer(reason: str) -> bool:
    """Whether a failure's reason says the service answered wrongly (a bug at any load), not
    that it was overloaded (5xx, or a connection refused, reset or timed out)."""
    if reason.startswith("HTTP "):
        return not reason.startswith("HTTP 5")
    return reason.startswith(("Content-Type ", "body is not", "no row for a seeded name"))


def check_idle(status: int, content_type: str | None, body: bytes | str | None) -> str | None:
    """``/idle``: 200 with exactly ``{"status": "idle"}``."""
    document, error = _json(status, content_type, body)
    if error:
        return error
    if document != IDLE_BODY:
        return 'body is not {"status": "idle"}'
    return None
