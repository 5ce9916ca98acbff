"""The latency rows' pools: a row whose pool the bench fitted to its latency is that latency's
row whatever its size, the report says which pool each row used, and a row the report calls
pool-limited decides no verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING

from results_docs import (
    documents,
    quiet,
    render,
    sentence,
    set_capacities,
    set_light_p50,
    table_row,
)

if TYPE_CHECKING:
    from pathlib import Path

OTHERS = ("django", "flask", "fastapi")


def pool_limited_at_5ms() -> list[dict]:  # type: ignore[type-arg]
    """The fixtures, starlette at +5 ms reaching 84 % of a pool of 10's ceiling (1,200 req/s
    against 10 x 1000 / 7 ms = 1,429 lookups/s)."""
    docs = quiet(documents())
    set_capacities(docs, "demo", {"starlette": [1200, 1200], **{t: [500, 500] for t in OTHERS}},
                   latency="5")  # fmt: skip
    set_light_p50(docs, "5", {"starlette": [7, 7], **{t: [20, 20] for t in OTHERS}})
    return docs


def test_a_pool_limited_row_is_not_ranked(tmp_path: Path) -> None:
    text = render(pool_limited_at_5ms(), tmp_path)
    line = sentence(text, "DB lookup at +5 ms per round trip")
    assert "not ranked, since the pool was the limit (pools of 10" in line
    assert table_row(text, "DB lookup at +5 ms per round trip")[-3] == "not ranked"


def test_a_fitted_pool_is_the_rows_and_the_report_says_which(tmp_path: Path) -> None:
    docs = pool_limited_at_5ms()
    for doc, pool in zip(docs, ("10", "10", "24"), strict=True):  # +0, +1, +5 ms
        doc["labels"].update(db_pool_size=pool, db_pool_rule="fitted")
    text = render(docs, tmp_path)
    # Still the +5 ms row (not a pool sweep's "pool of 24"), now at 35 % of its ceiling.
    line = sentence(text, "DB lookup at +5 ms per round trip")
    assert "not ranked" not in line
    assert table_row(text, "pool (connections per worker)")[2:] == ["10", "10", "24"]
    assert "pool of 24" not in text
