"""The rendered chart installed and run on one machine (dryrun.py says how), ending in the
run's report: the wiring that rendering cannot prove."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chartlib import RELEASE, RUN_ID, RUN_JOB, SERVICES, one, pod_spec
from dryrun import ROWS, RUN_OPTIONS, WORKERS, DryRunError, installed, run

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
        assert document["schema"] == 2  # the capacity runner's results
        searched = {(s["target"], s["scenario"]) for s in document["searches"]}
        assert searched == {(name, scenario) for name in SERVICES for scenario in SCENARIOS}
        for found in document["searches"]:
            where = f"{found['target']} {found['scenario']}"
            kinds = [step["kind"] for step in found["steps"]]
            assert kinds == ["probe", *["rate"] * RUN_OPTIONS["max-steps"]], (where, kinds)
            for step in found["steps"]:
                assert step["requests"] > 0, where
                # demo-hit fails a request whose name has no row: the seed and the grant worked.
                assert step["failures"] == 0, (where, step["errors"])
                # Every window has the service's CPU, read from the metrics API with the run's
                # token, its Role and its selector.
                assert step["service_cpu_s"] is not None, where
                assert step["service_cpu_s"] > 0, where

        # Each target as the chart describes it: its CPU budget and its pods' selector.
        (job,) = pod_spec(one(cluster.items, "Job", RUN_JOB))["containers"]  # type: ignore[index]
        sources = dict(a.removeprefix("--cpu-from=").split("=", 1) for a in job["args"]
                       if a.startswith("--cpu-from="))  # fmt: skip
        for target in document["targets"]:
            assert target["cpu_allowance"] == 1.0, target
            assert target["cpu_source"] == sources[target["name"]], target
            # The metrics API answered that selector with that service's pod and no other.
            selector = target["cpu_source"].partition("/")[2]
            assert cluster.api.answered[selector] == {f"{RELEASE}-{target['name']}"}
        assert not cluster.api.refused
        assert document["labels"] == {"web_concurrency": "1", "db_pool_size": "10"}
        environment = document["environment"]
        for name, stack in STACKS.items():
            assert environment[f"stack.{name}"] == stack
        assert environment["workers"] == str(WORKERS)
        assert environment["run"] == RUN_ID
        # The master waits for every expected worker before it starts: both joined.
        assert document["settings"]["expect_workers"] == WORKERS
        assert document["settings"]["window_s"] == RUN_OPTIONS["window"]

        _, marker, report = log.partition(MARKER)
        assert marker, log[-3000:]
        # The capacity table names every service with its stack, and no stack is missing.
        for name, stack in STACKS.items():
            assert f"| {name} | {stack} |" in report, report
        assert "(no `--meta stack.NAME=...`)" not in report

        # The same id again: the run refuses the folder another run of that id wrote.
        with pytest.raises(DryRunError, match="already exists"):
            cluster.run_pod(one(cluster.items, "Job", RUN_JOB), deadline=1e12)
