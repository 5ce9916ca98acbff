"""Results documents for the report's tests: the recorded fixtures, changed by hand."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loadtest.report import write_report

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("loadtest-*.json"))
Doc = dict[str, Any]


def documents() -> list[Doc]:
    return [json.loads(path.read_text()) for path in FIXTURES]


def quiet(docs: list[Doc]) -> list[Doc]:
    """The same results as if nothing else had run on the machine (no contended marks)."""
    docs = copy.deepcopy(docs)
    for doc in docs:
        for found in doc["searches"]:
            for step in found["steps"]:
                ours = (step["service_cpu_s"] or 0) + sum(step["watched_cpu_s"].values())
                ours += step["generator_cpu_s"]
                step["machine_cpu_cores"] = ours / step["window_s"]
    return docs


def save(docs: list[Doc], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for doc, original in zip(docs, FIXTURES, strict=True):
        path = folder / original.name
        path.write_text(json.dumps(doc))
        paths.append(path)
    return paths


def render(docs: list[Doc], tmp_path: Path) -> str:
    """The report of these results (saved under ``tmp_path/in``), as Markdown."""
    return write_report(save(docs, tmp_path / "in"), tmp_path).read_text()


def searches(docs: list[Doc], scenario: str, latency: str, target: str | None = None) -> list[Doc]:
    return [
        s
        for doc in docs
        if doc["labels"]["db_latency_ms"] == latency
        for s in doc["searches"]
        if s["scenario"] == scenario and (target is None or s["target"] == target)
    ]


def set_capacities(
    docs: list[Doc],
    scenario: str,
    capacities: Mapping[str, Sequence[float | None]],
    bound: str = "",
    latency: str = "0",
) -> None:
    """Give each named service these capacities (one per round, req/s: the fixtures' allowance
    is one core) at this added latency; the service named ``bound`` is generator-bound in every
    round."""
    for target, values in capacities.items():
        found = searches(docs, scenario, latency, target)
        assert len(found) == len(values)
        for search, value in zip(found, values, strict=True):
            search["capacity"].update(
                rps=value,
                lower_bound=target == bound,
                limit="generator" if target == bound else "service",
            )


def sentence(text: str, title: str) -> str:
    (line,) = [line for line in text.splitlines() if line.startswith(f"- {title}:")]
    return line


def table_row(text: str, title: str) -> list[str]:
    (line,) = [line for line in text.splitlines() if line.startswith(f"| {title} |")]
    return [cell.strip() for cell in line.strip("|").split("|")]


def with_rounds(docs: list[Doc], rounds: int) -> list[Doc]:
    """The same results with ``rounds`` rounds: each search's first round, repeated."""
    docs = copy.deepcopy(docs)
    for doc in docs:
        firsts = [s for s in doc["searches"] if s["round"] == 1]
        doc["searches"] = [
            {**copy.deepcopy(s), "round": n} for n in range(1, rounds + 1) for s in firsts
        ]
        doc["settings"]["repeats"] = rounds
    return docs


def set_light_p50(docs: list[Doc], latency: str, p50s: dict[str, Sequence[float]]) -> None:
    """Give each named service's `demo` searches this p50 (ms, one per round) at their
    lightest sustained offered rate."""
    for target, values in p50s.items():
        found = searches(docs, "demo", latency, target)
        assert len(found) == len(values)
        for search, value in zip(found, values, strict=True):
            rated = [s for s in search["steps"] if s["offered_rps"] and s["sustained"]]
            min(rated, key=lambda s: s["offered_rps"])["latency_ms"]["p50"] = value


def set_models(docs: list[Doc], models: dict[str, str]) -> None:
    """Label each named service with this concurrency model (``--meta stack.NAME=MODEL``)."""
    for doc in docs:
        doc["environment"].update({f"stack.{name}": m for name, m in models.items()})
