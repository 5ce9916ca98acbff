"""The verdict in three columns: each model's best, the winner, the ratio over the runner-up
model, "within noise" judged on those two alone, and no column for a model the run lacks.

Three rounds per search, made by hand from the fixtures; django relabelled as the threads model
(gevent: flask; asyncio: fastapi, starlette). Expected figures are worked out by hand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from results_docs import (
    Doc,
    documents,
    quiet,
    render,
    sentence,
    set_capacities,
    set_models,
    table_row,
    with_rounds,
)

if TYPE_CHECKING:
    from pathlib import Path

THREE_MODELS = (
    "| question | gevent's best | asyncio's best | threads' best | winner | ratio | noise |"
)
DEMO = "DB lookup at the SLO"
HIT = "DB lookup with rows serialised"
IDLE = "No database (`/idle`)"


def three_models() -> list[Doc]:
    docs = with_rounds(quiet(documents()), 3)
    set_models(docs, {"django": "threads"})
    return docs


def test_the_winner_the_runner_up_and_the_third(tmp_path: Path) -> None:
    docs = three_models()
    set_capacities(docs, "demo", {
        "django": [2000, 2100, 2200],  # threads' best: 2,100
        "starlette": [1500, 1600, 1700],  # asyncio's best: 1,600, the runner-up
        "fastapi": [1000, 1100, 1200],
        "flask": [900, 1000, 1100],  # gevent's best: 1,000, third
    })  # fmt: skip
    text = render(docs, tmp_path)
    assert THREE_MODELS in text.splitlines()
    assert table_row(text, DEMO) == [
        DEMO,
        "1,000 req/s per core (flask)",
        "1,600 req/s per core (starlette)",
        "2,100 req/s per core (django)",
        "threads",
        "1.31",  # 2,100 / 1,600, the winner over the runner-up (not over the third)
        "",
    ]
    assert sentence(text, DEMO) == (
        f"- {DEMO}: threads wins: its best, django, sustains 2,100 req/s per core at p99 ≤ 50 "
        "ms, 1.31 times asyncio's best, starlette (1,600 req/s per core), then gevent's best, "
        "flask (1,000 req/s per core); the rounds' ranges do not overlap."
    )
    assert "threads' best service sustains the most in " in text  # the capacity section's
    assert "threads's" not in text


def test_noise_is_judged_between_the_winner_and_the_runner_up(tmp_path: Path) -> None:
    docs = three_models()
    set_capacities(docs, "demo-hit", {
        "django": [1500, 1700, 1900],  # 1,700: overlaps the runner-up's 1,600-1,800
        "starlette": [1600, 1650, 1800],
        "fastapi": [300, 300, 300],
        "flask": [300, 400, 500],
    })  # fmt: skip
    set_capacities(docs, "idle", {
        "django": [2000, 2100, 2200],
        "starlette": [1500, 1600, 1700],  # apart from the winner's range
        "fastapi": [400, 400, 400],
        "flask": [500, 900, 2500],  # third, and its wide range overlaps the winner's
    })  # fmt: skip
    text = render(docs, tmp_path)
    row = table_row(text, HIT)
    assert row[4:] == ["threads", "1.03", "within noise"]  # 1,700 / 1,650
    said = sentence(text, HIT)
    assert said.startswith(f"- {HIT}: threads is ahead: its best, django, sustains 1,700 ")
    assert said.endswith("the rounds' ranges overlap: within noise.")
    assert table_row(text, IDLE)[4:] == ["threads", "1.31", ""]
    assert sentence(text, IDLE).endswith("the rounds' ranges do not overlap.")


def test_a_model_without_a_figure_is_left_blank_and_one_the_run_lacks_has_no_column(
    tmp_path: Path,
) -> None:
    docs = three_models()
    set_capacities(docs, "idle", {
        "django": [None, None, None],  # threads sustained nothing on idle
        "starlette": [1500, 1600, 1700],
        "fastapi": [400, 400, 400],
        "flask": [900, 1000, 1100],
    })  # fmt: skip
    text = render(docs, tmp_path)
    assert table_row(text, IDLE) == [
        IDLE,
        "1,000 req/s per core (flask)",
        "1,600 req/s per core (starlette)",
        "",
        "asyncio",
        "1.60",
        "",
    ]
    # No gevent service in the run: no gevent column, anywhere.
    set_models(docs, {"flask": "threads"})
    text = render(docs, tmp_path / "no-gevent")
    assert "| question | asyncio's best | threads' best | winner | ratio | noise |" in text
    assert "gevent" not in text.split("## Verdict", 1)[1].split("## ", 1)[0]
    assert table_row(text, IDLE)[1:3] == [
        "1,600 req/s per core (starlette)",
        "1,000 req/s per core (flask)",
    ]
    assert text.startswith("# asyncio or threads: ")


def test_one_model_alone_is_not_ranked(tmp_path: Path) -> None:
    docs = with_rounds(quiet(documents()), 3)
    set_models(docs, {t: "asyncio" for t in ("django", "flask", "fastapi", "starlette")})
    text = render(docs, tmp_path)
    row = table_row(text, DEMO)
    assert len(row) == 5  # the question, asyncio's best, winner, ratio, noise
    assert row[2:4] == ["not ranked", ""]
    assert "only asyncio was measured" in sentence(text, DEMO)


def test_a_lower_bound_behind_the_runner_up_still_stops_the_ranking(tmp_path: Path) -> None:
    docs = three_models()
    set_capacities(docs, "demo", {
        "django": [700, 700, 700],  # threads, third, but the load generator was its limit
        "starlette": [1500, 1600, 1700],
        "fastapi": [400, 400, 400],
        "flask": [900, 1000, 1100],
    }, bound="django")  # fmt: skip
    text = render(docs, tmp_path)
    assert table_row(text, DEMO)[4] == "not ranked"
    assert "threads' best (django) is a lower bound" in sentence(text, DEMO)
