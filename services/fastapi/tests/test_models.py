"""Rows serialised by the response model are the bytes the other services' orjson writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from pydantic import TypeAdapter

from app.models import DemoRow

ROWS = TypeAdapter(list[DemoRow])
# The orjson options whose bytes the contract (README.md) asks for: rows must match them.
ORJSON = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS
WHEN = datetime(2024, 8, 20, 1, 0, 0)  # naive, as the driver returns a UTC TIMESTAMP


@pytest.mark.parametrize(
    "name",
    ["dup", "emoji 😀", "é", 'quote " and \\ backslash', "tab\tnew\nline\x01", "\u2028", "</x>"],
)
def test_same_bytes_as_orjson(name: str) -> None:
    rows: list[dict[str, Any]] = [
        {"id": 1, "name": name, "create_time": WHEN, "update_time": None},
        {"id": 2**40, "name": name, "create_time": None, "update_time": WHEN},
    ]
    assert ROWS.dump_json(ROWS.validate_python(rows)) == orjson.dumps(rows, option=ORJSON)


def test_timestamps_are_utc_with_a_z() -> None:
    row = DemoRow.model_validate({"id": 1, "name": "a", "create_time": WHEN, "update_time": WHEN})
    assert row.model_dump_json() == (
        '{"id":1,"name":"a","create_time":"2024-08-20T01:00:00Z",'
        '"update_time":"2024-08-20T01:00:00Z"}'
    )


def test_aware_timestamps_are_kept() -> None:
    aware = WHEN.replace(tzinfo=timezone(timedelta(hours=2)))
    row = DemoRow.model_validate({"id": 1, "name": "a", "create_time": aware, "update_time": None})
    assert row.create_time == aware
    assert row.create_time is not None
    assert row.create_time.astimezone(UTC).hour == 23


def test_a_zero_timestamp_is_null() -> None:
    # The driver cannot read 0000-00-00 00:00:00 as a datetime and returns its text.
    row = {"id": 1, "name": "a", "create_time": "0000-00-00 00:00:00", "update_time": b"0000"}
    assert DemoRow.model_validate(row).model_dump() == {
        **row,
        "create_time": None,
        "update_time": None,
    }


def test_read_by_attribute() -> None:
    class Record:  # what a SQLAlchemy Row offers: attribute access to the columns
        id, name, create_time, update_time = 7, "x", WHEN, None

    assert DemoRow.model_validate(Record()).model_dump() == {
        "id": 7,
        "name": "x",
        "create_time": WHEN.replace(tzinfo=UTC),
        "update_time": None,
    }
