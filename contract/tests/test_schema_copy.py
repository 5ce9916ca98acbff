"""The packaged DDL is the contract's, byte for byte (the image carries a copy)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

CONTRACT_SCHEMA = Path(__file__).parents[2] / "contract" / "schema.sql"


def test_packaged_schema_is_the_contracts() -> None:
    packaged = files("loadtest").joinpath("schema.sql").read_text()
    assert packaged == CONTRACT_SCHEMA.read_text(), (
        "loadtest/src/loadtest/schema.sql differs from contract/schema.sql: "
        "cp contract/schema.sql loadtest/src/loadtest/schema.sql"
    )
