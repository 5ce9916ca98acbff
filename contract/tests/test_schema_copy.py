"""loadtest's packaged DDL is the contract's, byte for byte (its image carries a copy)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_packaged_schema_is_the_contracts() -> None:
    packaged = ROOT / "loadtest/src/loadtest/schema.sql"
    assert packaged.read_text() == (ROOT / "contract/schema.sql").read_text(), (
        "loadtest/src/loadtest/schema.sql differs from contract/schema.sql: "
        "cp contract/schema.sql loadtest/src/loadtest/schema.sql"
    )
