"""The run's command line against the runner it drives, and its deadline against the bench's
arithmetic.

Without a cluster, the runner's own code judges what the chart writes (templates/_runner.tpl):
its parser (loadtest's cli.py) takes every rendered argument, where an option it no longer has
would stop the run at once, after its waits; its metrics reader (k8s.py) takes every
`--cpu-from` source, whose selector picks exactly that service's pods among all the chart
renders; every `--cpu-allowance` is the service's CPU limit in cores. The deadline the chart
requires is the longest the run can take by perf/compare.py's arithmetic, with the runner's
own defaults for what the values leave out. The schema takes the runner's own options, and
refuses those the chart sets.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Mapping
from typing import Any

import helm_python as helm
import pytest
from chartlib import (
    CHART,
    NAMESPACE,
    RELEASE,
    RUN,
    RUN_ID,
    RUN_JOB,
    SERVICES,
    SUBCHARTS,
    Rendered,
    enabled_services,
    label_selector,
    load_values,
    merge,
    one,
    pod_labels,
    pod_spec,
    render,
    selector_matches,
    with_images,
    workloads,
)
from conftest import AKS, SCENARIO_SERVICES
from dryrun import RUN_OPTIONS
from loadtest.cli import build_parser
from loadtest.k8s import PodSelector
from loadtest.settings import SCENARIOS, STEP_OVERHEAD, RunSettings

from perf import compare as bench
from perf.pool_rule import Phase

LOCUST_VALUES = load_values(SUBCHARTS["locust"] / "values.yaml")
README = CHART / "README.md"
# The runner's options the chart sets itself, and from what; the schema refuses them in
# locust.run.options, and takes every other option of `loadtest run`.
SET_BY_THE_CHART = {
    "target": "every enabled service's Service",
    "label": "the services' config (web_concurrency, db_pool_size)",
    "cpu-allowance": "each service's CPU limit",
    "cpu-from": "each service's pods (serviceCpu)",
    "pid": "no local process: the services are pods",
    "watch": "no local process: MySQL is a pod",
    "processes": "the workers Deployment",
    "expect-workers": "workers.replicas",
    "master-bind-host": "the master listens on every address of its pod",
    "master-bind-port": "masterPort",
    "cpus": "the pod's CPU limit",
    "generator": "locust, the runner's default: the workers are locust's (wrk is one machine's)",
    "pool-headroom": "each service's pool is its values' (config.dbPoolSize), fixed for the run",
    "seed": "the dataset ConfigMap, which the seed job loaded",
    "rows": "the dataset ConfigMap, which the seed job loaded",
    "meta": "run.meta, the stacks and the run's facts",
    "out": "/results/<id>/",
}


def run_parser() -> argparse.ArgumentParser:
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    parser: argparse.ArgumentParser = commands.choices["run"]
    return parser


def parsed_run(items: list[Rendered]) -> argparse.Namespace:
    """The run Job's command line as the runner parses it (the Job adds --out)."""
    (container,) = pod_spec(one(items, "Job", RUN_JOB))["containers"]  # type: ignore[index]
    args = container["args"]
    assert args[:4] == ["python", "-m", "loadtest", "run"], args
    try:
        return run_parser().parse_args([*args[4:], f"--out=/results/{RUN_ID}"])
    except SystemExit:  # argparse has printed which argument it refused
        pytest.fail(f"the runner refuses the run's arguments: {args[4:]}")


@pytest.mark.parametrize("scenario", ["default", "aks"])
def test_the_runner_takes_the_rendered_arguments(
    renders: dict[str, list[Rendered]], scenario: str
) -> None:
    args = parsed_run(renders[scenario])
    services = list(SCENARIO_SERVICES[scenario])
    assert [name for name, _ in args.target] == services
    assert [name for name, _ in args.cpu_allowance] == services
    assert [name for name, _ in args.cpu_from] == services
    assert dict(args.meta)["run"] == RUN_ID
    assert {f"stack.{name}" for name in services} <= dict(args.meta).keys()


@pytest.mark.parametrize("scenario", ["default", "aks"])
def test_each_cpu_source_is_exactly_its_services_pods(
    renders: dict[str, list[Rendered]], scenario: str
) -> None:
    """The reader's own parser takes each source; its selector, read as the API server reads
    a labelSelector, picks that service's Deployment and nothing else the chart renders (no
    test pod, no other service, no worker)."""
    items = renders[scenario]
    for name, source in parsed_run(items).cpu_from:
        pods = PodSelector.parse(source)
        assert pods.namespace == NAMESPACE
        selector = label_selector(pods.selector)
        picked = {item.name for item, _ in workloads(items)
                  if selector_matches(selector, pod_labels(item))}  # fmt: skip
        assert picked == {f"{RELEASE}-{name}"}, (source, picked)


@pytest.mark.parametrize(
    ("cpu", "replicas", "cores"),
    [("1", 1, 1.0), ("500m", 2, 1.0), (1.5, 1, 1.5), ("6", 3, 18.0), ("250m", 1, 0.25)],
)
def test_each_cpu_allowance_is_the_services_cpu_limit(
    cpu: str | float, replicas: int, cores: float
) -> None:
    """Every replica's CPU limit, in cores, however the limit is written."""
    budget = {
        "replicaCount": replicas,
        "resources": {"limits": {"cpu": cpu}, "requests": {"cpu": cpu}},
    }
    items = render(values=with_images(merge(RUN, {name: budget for name in SERVICES})))
    assert dict(parsed_run(items).cpu_allowance) == {name: f"{cores:g}" for name in SERVICES}


def test_a_cpu_limit_the_runner_cannot_read_is_refused() -> None:
    budget = {"resources": {"limits": {"cpu": "2k"}, "requests": {"cpu": "2k"}}}
    with pytest.raises(helm.HelmRenderError, match=re.escape('limits.cpu is "2k"')):
        render(values=with_images(merge(RUN, {name: budget for name in SERVICES})))


def longest_run(values: Mapping[str, Any]) -> int:
    """The longest the run can take by perf/compare.py's arithmetic: its waits, then every round x
    service x scenario's search, a probe and max-steps rate steps (or the fixed rates)."""
    run = merge(LOCUST_VALUES["run"], values.get("locust", {}).get("run", {}))
    options = run["options"]
    defaults = run_parser().parse_args([])

    def option(name: str) -> Any:
        value = options.get(name)
        return getattr(defaults, name.replace("-", "_")) if value is None else value

    window = float(option("window"))
    step = float(option("settle")) + window + STEP_OVERHEAD
    rates = option("rate")
    rates = rates if isinstance(rates, list) else [rates]
    if rates:
        search = len(rates) * step
    else:
        probe = float(option("warmup")) + window + STEP_OVERHEAD
        search = probe + int(option("max-steps")) * step
    scenarios = options.get("scenario") or list(SCENARIOS)
    scenarios = scenarios if isinstance(scenarios, list) else [scenarios]
    waits = run["waitTimeoutSeconds"] if run["waitForTargets"] else 0
    waits += float(option("expect-workers-max-wait"))
    services = len(enabled_services(values))
    measuring = int(option("repeats")) * services * len(scenarios) * search
    return math.ceil(waits + measuring)


def required_deadline(values: Mapping[str, Any]) -> int:
    """The deadline the chart requires, from its refusal of a 60 s one."""
    short = merge(values, {"locust": {"run": {"id": RUN_ID, "activeDeadlineSeconds": 60}}})
    with pytest.raises(helm.HelmRenderError, match="activeDeadlineSeconds is 60") as refused:
        render(values=with_images(short))
    found = re.search(r"the run can take (\d+) s", str(refused.value))
    assert found, refused.value
    return int(found.group(1))


def options(**given: Any) -> dict[str, Any]:
    return {"locust": {"run": {"options": given}}}


@pytest.mark.parametrize(
    "values",
    [
        {},
        AKS,
        merge(options(**RUN_OPTIONS), {"locust": {"run": {"waitTimeoutSeconds": 120}}}),
        # Every method option left to the runner's defaults.
        options(**{name: None for name in LOCUST_VALUES["run"]["options"]}),
        options(rate=[100, 200, 400], scenario="idle"),
        merge(options(window=12.5, settle=0.5), {"locust": {"run": {"waitForTargets": False}}}),
    ],
    ids=["default", "aks", "dry-run", "runner-defaults", "fixed-rates", "no-wait"],
)
def test_the_deadline_covers_the_longest_run(values: dict[str, Any]) -> None:
    assert required_deadline(values) == longest_run(values)


@pytest.mark.parametrize("values", [{}, AKS], ids=["default", "aks"])
def test_the_deadlines_given_are_enough(values: dict[str, Any]) -> None:
    render(values=with_images(merge(values, RUN)))  # checks.yaml would refuse it
    deadline = merge(LOCUST_VALUES["run"], values.get("locust", {}).get("run", {}))
    assert deadline["activeDeadlineSeconds"] >= longest_run(values)


def test_the_schema_takes_the_runners_own_options() -> None:
    schema = json.loads((SUBCHARTS["locust"] / "values.schema.json").read_text())
    taken = schema["properties"]["run"]["properties"]["options"]["propertyNames"]["enum"]
    runner = {
        flag.removeprefix("--")
        for action in run_parser()._actions
        for flag in action.option_strings
        if flag.startswith("--") and flag != "--help"
    }
    assert SET_BY_THE_CHART.keys() <= runner, SET_BY_THE_CHART.keys() - runner
    assert set(taken) == runner - SET_BY_THE_CHART.keys()


@pytest.mark.parametrize("name", ["users", "duration", "spawn-rate", "target", "rows", "out"])
def test_options_the_runner_lacks_or_the_chart_sets_are_refused(name: str) -> None:
    """The closed-loop runner's options are gone; the chart's own are not to be overridden."""
    with pytest.raises(helm.HelmValuesError, match=f"invalid propertyName '{name}'"):
        render(values=with_images(merge(RUN, options(**{name: 1}))))


def test_the_readme_times_the_aks_run() -> None:
    """The README's duration of a run with values-aks.yaml is its values' arithmetic: the
    typical one (perf/compare.py's estimate, its model search) and the longest (the chart's)."""
    run = merge(LOCUST_VALUES["run"], AKS["locust"]["run"])
    given = run["options"]
    plan = bench.Bench(
        RunSettings(
            repeats=int(given["repeats"]),
            window_s=float(given["window"]),
            settle_s=float(given["settle"]),
            warmup_s=float(given["warmup"]),
            resolution=float(given["resolution"]),
            max_steps=int(given["max-steps"]),
        ),
        (Phase(0, tuple(given["scenario"])),),
    )
    typical = plan.estimate_seconds(len(enabled_services(AKS)))
    longest = longest_run(AKS)
    hours, seconds = divmod(longest, 3600)
    typical_hours, typical_seconds = divmod(round(typical), 3600)
    text = " ".join(README.read_text(encoding="utf-8").split())
    about = f"about {typical_hours} h {round(typical_seconds / 60)} min"
    assert f"**{typical:,.0f} s, {about}**" in text
    assert f"**{longest:,} s ({hours} h {round(seconds / 60)} min)**" in text
    assert f"`locust.run.activeDeadlineSeconds`, is {run['activeDeadlineSeconds']:,} s" in text
    assert run["activeDeadlineSeconds"] >= longest


def test_a_window_that_holds_no_whole_metrics_sample_is_refused() -> None:
    """With serviceCpu, windows of at least two metrics resolutions (15 s by default)."""
    with pytest.raises(helm.HelmRenderError, match=re.escape("options.window is 29 s")):
        render(values=with_images(merge(RUN, options(window=29))))
    render(values=with_images(merge(RUN, options(window=30))))
    no_cpu = {"locust": {"run": {"serviceCpu": False}}}
    render(values=with_images(merge(merge(RUN, options(window=29)), no_cpu)))
    slow = {"locust": {"run": {"metricsResolutionSeconds": 60}}}
    with pytest.raises(helm.HelmRenderError, match="metricsResolutionSeconds 60 s"):
        render(values=with_images(merge(RUN, slow)))
