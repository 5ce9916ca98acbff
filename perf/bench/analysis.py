"""Everything a run's report says, derived from its measurements alone (so it can be redone)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from perf.bench import goals
from perf.bench.checks import run_problems, timed_out
from perf.bench.ladder import Ladder, ladders
from perf.bench.results import Results
from perf.bench.stats import Row, summarise


@dataclass(frozen=True)
class Analysis:
    rows: list[Row]
    ladder_connections: int
    ladders: list[Ladder]
    verdicts: list[goals.Verdict]
    problems: list[str]  # why the run fails; empty when it passes
    timeouts: list[str]

    def to_dict(self) -> dict[str, Any]:
        """The derived part of the results file."""
        return {
            "summary": [asdict(row) for row in self.rows],
            "ladder": {
                "connections": self.ladder_connections,
                "ladders": [asdict(ladder) for ladder in self.ladders],
            },
            "goals": [asdict(verdict) for verdict in self.verdicts],
            "problems": self.problems,
            "timeouts": self.timeouts,
        }


def analyse(results: Results) -> Analysis:
    rows = summarise(results.roles, results.measurements)
    measured = sorted({row.connections for row in rows})
    at = goals.CONNECTIONS if goals.CONNECTIONS in measured or not measured else measured[0]
    row_checks = {target["name"]: target["rows"] for target in results.targets}
    kinds = {role.name: role.kind for role in results.roles}
    return Analysis(
        rows=rows,
        ladder_connections=at,
        ladders=ladders(results.roles, rows, at),
        verdicts=goals.verdicts(results.roles, rows),
        problems=run_problems(row_checks, kinds, rows),
        timeouts=timed_out(rows),
    )
