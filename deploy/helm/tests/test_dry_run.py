"""The rendered chart installed and run on one machine (dryrun.py says how), ending in the
run's report: the wiring that rendering cannot prove."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chartlib import RUN_ID, RUN_JOB, SERVICES, one
from dryrun import ROWS, DryRunError, installed, run

from contract.database import provide_database

STACKS = {"django": "gevent", "flask": "gevent", "fastapi": "asyncio", "starlette": "asyncio"}
SCENARIOS = {"demo", "demo-hit", "idle"}
MARKER = "==> report.md <=="


def test_the_install_runs_and_reports(tmp_path: Path) -> None:
    with provide_database(prefix="helm") as database, installed(database, tmp_path) as cluster:
        # The seed hook loaded the rows and the grant let the services' account read them.
        assert database.execute("SELECT COUNT(*) FROM demo_data")[0][0] == ROWS
        log = run(cluster)

        (results,) = (tmp_path / "claims").glob(f"*/{RUN_ID}/loadtest-*.json")
        document = json.loads(results.read_text())
        measured = {(m["target"], m["scenario"]) for m in document["measurements"]}
        assert measured == {(name, scenario) for name in SERVICES for scenario in SCENARIOS}
        for measurement in document["measurements"]:
            where = f"{measurement['target']} {measurement['scenario']}"
            assert measurement["requests"] > 0, where
            # demo-hit fails a request whose name has no row: the seed and the grant worked.
            assert measurement["failures"] == 0, (where, measurement["errors"])
        environment = document["environment"]
        for name, stack in STACKS.items():
            assert environment[f"stack.{name}"] == stack
        assert environment["workers"] == "2"
        assert environment["run"] == RUN_ID
        # The master waits for every expected worker before it starts: both joined.
        assert document["settings"]["expect_workers"] == 2

        _, marker, report = log.partition(MARKER)
        assert marker, log[-3000:]
        assert report.strip(), log[-3000:]
        for name in SERVICES:
            assert name in report

        # The same id again: the run refuses the folder another run of that id wrote.
        with pytest.raises(DryRunError, match="already exists"):
            cluster.run_pod(one(cluster.items, "Job", RUN_JOB), deadline=1e12)
