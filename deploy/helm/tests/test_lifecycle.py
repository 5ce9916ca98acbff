"""What install, upgrade and stop do: a run only when asked, one Job and one folder per run id,
workers that never mix revisions, a seed hook that fails fast and before Helm gives up, a
condition for every optional subchart, and the services' shutdown sequence."""

from __future__ import annotations

import re

import pytest
import yaml
from chartlib import (
    CHART,
    RELEASE,
    RUN,
    RUN_ID,
    RUN_JOB,
    SERVICES,
    Rendered,
    one,
    pod_spec,
    render,
    render_files,
    with_images,
)

README = CHART / "README.md"


def test_no_run_unless_asked() -> None:
    """Without a run id an install or upgrade starts no run, and runs no workers."""
    items = render(values=with_images())
    assert not [item for item in items if item.kind == "Job" and item.name != f"{RELEASE}-seed"]
    workers = one(items, "Deployment", f"{RELEASE}-locust-worker")
    assert workers.obj["spec"]["replicas"] == 0


def test_a_run_is_its_own_job_named_by_its_id(default_render: list[Rendered]) -> None:
    job = one(default_render, "Job", RUN_JOB)
    metadata = job.obj["metadata"]
    # Kept by Helm when a later revision no longer renders it (its log stays).
    assert metadata["annotations"]["helm.sh/resource-policy"] == "keep"
    assert metadata["labels"]["bench/run"] == RUN_ID
    assert job.obj["spec"]["backoffLimit"] == 0  # a failed run is not retried
    assert job.obj["spec"]["activeDeadlineSeconds"] > 0
    spec = pod_spec(job)
    assert spec is not None
    (run,) = spec["containers"]
    env = {entry["name"]: entry.get("value") for entry in run["env"]}
    assert env["RUN_ID"] == RUN_ID
    script = run["command"][2]
    # Its results go to a folder of its own, which it refuses when it exists (the dry run
    # runs this refusal).
    assert 'out="/results/$RUN_ID"' in script
    assert 'if [ -e "$out" ]' in script
    assert '"$out"/*.json' in script  # the report reads this run's files only
    # Template guard: a Job that exists is not rendered again (lookup); offline it never does.
    template = (CHART / "templates" / "run-job.yaml").read_text()
    assert 'if not (lookup "batch/v1" "Job" .Release.Namespace $name)' in template


def test_a_new_id_restarts_the_workers_and_the_same_id_does_not() -> None:
    def annotation(run_id: str) -> str:
        items = render(values=with_images({"locust": {"run": {"id": run_id}}}))
        workers = one(items, "Deployment", f"{RELEASE}-locust-worker").obj
        assert workers["spec"]["strategy"] == {"type": "Recreate"}
        return str(workers["spec"]["template"]["metadata"]["annotations"]["bench/run"])

    assert annotation("a") == annotation("a") != annotation("b")


def test_the_notes_follow_the_run(default_render: list[Rendered]) -> None:
    """NOTES.txt names the run's own Job and folder and waits as long as its deadline; without
    a run id it says how to start one; in ui mode it gives every service's URL."""
    notes = render_files(values=with_images(RUN))["bench/templates/NOTES.txt"]
    deadline = one(default_render, "Job", RUN_JOB).obj["spec"]["activeDeadlineSeconds"]
    assert f"logs --follow job/{RUN_JOB}\n" in notes
    assert f"--timeout={deadline}s job/{RUN_JOB}\n" in notes
    assert f"/results/{RUN_ID}/" in notes
    idle = render_files(values=with_images())["bench/templates/NOTES.txt"]
    assert "--set locust.run.id=" in idle
    assert "job/" not in idle
    ui = render_files(values=with_images({"locust": {"mode": "ui"}}))["bench/templates/NOTES.txt"]
    for name in SERVICES:
        assert f"http://{RELEASE}-{name}:8000\n" in ui


def test_the_seed_hook_fails_fast_and_before_helm_gives_up(default_render: list[Rendered]) -> None:
    job = one(default_render, "Job", f"{RELEASE}-seed").obj["spec"]
    assert job["podFailurePolicy"]["rules"] == [
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}]},
        {"action": "FailJob", "onExitCodes": {"operator": "NotIn", "values": [0]}},
    ]
    assert job["template"]["spec"]["restartPolicy"] == "Never"  # required by the policy
    timeouts = [_seconds(t) for t in re.findall(r"helm install .*?--timeout (\w+)", _sh())]
    assert timeouts, "the README installs with --timeout"
    for timeout in timeouts:
        assert job["activeDeadlineSeconds"] < timeout, (job["activeDeadlineSeconds"], timeout)


def test_every_optional_subchart_has_a_condition() -> None:
    """A subchart whose schema takes `enabled` has a condition on it; MySQL's refuses it."""
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    for dependency in chart["dependencies"]:
        alias = dependency.get("alias", dependency["name"])
        schema = yaml.safe_load(
            (CHART / "charts" / dependency["name"] / "values.schema.json").read_text()
        )
        if "enabled" in schema["properties"]:
            assert dependency.get("condition") == f"{alias}.enabled", alias
        else:
            assert "condition" not in dependency, alias


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_stops_without_losing_a_request(
    default_render: list[Rendered], name: str
) -> None:
    """preStop: 5 s of serving while the endpoints drop the pod; then SIGTERM, after which the
    server's own graceful period (20 s, CONTRACT.md) finishes what is in flight; all within
    terminationGracePeriodSeconds."""
    spec = pod_spec(one(default_render, "Deployment", f"{RELEASE}-{name}"))
    assert spec is not None
    (container,) = spec["containers"]
    assert container["lifecycle"] == {"preStop": {"sleep": {"seconds": 5}}}
    assert spec["terminationGracePeriodSeconds"] == 30
    assert spec["terminationGracePeriodSeconds"] > 5 + 20


def test_the_readme_waits_are_bounded() -> None:
    """Every `kubectl wait` in the README has a timeout, and the wait for a run also ends
    when the run fails, not only when it completes."""
    text = _sh()
    waits = re.findall(r"kubectl [^\n]*wait [^\n]*", text)
    assert waits
    for wait in waits:
        assert "--timeout=" in wait, wait
    assert "--for=condition=failed" in text


def _sh() -> str:
    return "\n".join(re.findall(r"```sh\n(.*?)```", README.read_text(), re.DOTALL)).replace(
        "\\\n", " "
    )


def _seconds(duration: str) -> int:
    match = re.fullmatch(r"(\d+)([smh])", duration)
    assert match, duration
    return int(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2)]
