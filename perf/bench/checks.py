"""What the answers must be (CONTRACT.md), and whether a run passed: pure functions.

The wrk script checks every answer's status in wrk's own thread and keeps a sample of bodies
(answers 1, 2, 4, 8, ... and the first ones with rows); ``sample_problem`` judges those bodies
after the run. A service or floor fails the run with a wrong row, a wrong body, a failed request
other than a timeout, or an answer the script did not see; the blog's apps never do (their flaws
are what the targets are measured against). Timeouts are failures in the tables and the targets,
listed after the report, but do not fail the run: at hundreds of connections on one core they
are what a stack does under overload, not a wrong answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from perf.bench.stats import Row

ROW_KEYS = ("id", "name", "create_time", "update_time")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
IDLE = {"status": "idle"}
JSON = "application/json"


def rows_shape_ok(rows: object) -> bool:
    """Whether ``rows`` is a list of the contract's row objects (keys in order, types, format)."""
    return isinstance(rows, list) and all(
        isinstance(row, dict)
        and tuple(row) == ROW_KEYS
        and isinstance(row["id"], int)
        and isinstance(row["name"], str)
        and all(row[key] is None or TIMESTAMP.fullmatch(str(row[key])) for key in ROW_KEYS[2:])
        for row in rows
    )


def answer_problem(path: str, content_type: str, body: bytes) -> str | None:
    """What is wrong with one ``200`` answer to ``path``, or None."""
    if content_type != JSON:
        return f"Content-Type {content_type!r}"
    try:
        value = json.loads(body)
    except ValueError:
        return f"not JSON: {body[:60]!r}"
    if path == "/idle" and value != IDLE:
        return f"/idle sent {body[:60]!r}"
    if path == "/demo" and not rows_shape_ok(value):
        return f"/demo sent {body[:60]!r}"
    return None


def sample_problem(path: str, samples: Sequence[tuple[str, bytes]]) -> str | None:
    """The first wrong body among the samples (content type, body), or None."""
    return next(filter(None, (answer_problem(path, *sample) for sample in samples)), None)


def run_problems(
    row_checks: Mapping[str, str], kinds: Mapping[str, str], rows: Sequence[Row]
) -> list[str]:
    """Why the run fails: a service's or floor's wrong rows, bodies or failed requests."""
    problems = [
        f"{name}: rows before the load: {check}"
        for name, check in row_checks.items()
        if kinds[name] != "blog" and check != "ok"
    ]
    for row in rows:
        if row.kind == "blog":
            continue
        where = f"{row.target} {row.path} c{row.connections}"
        if row.failures > row.timeouts:
            problems.append(f"{where}: {row.failures - row.timeouts} failed requests")
        if not row.bodies.startswith("ok"):
            problems.append(f"{where}: {row.bodies}")
        if not row.requests:
            problems.append(f"{where}: no answer at all")
    return problems


def timed_out(rows: Sequence[Row]) -> list[str]:
    """Rows with timeouts (failures, but not a failed run)."""
    return [
        f"{row.target} {row.path} c{row.connections}: {row.timeouts} timeouts"
        for row in rows
        if row.timeouts
    ]
