"""The dry run's stand-in for the metrics API (metrics_api.py), read by loadtest's own reader:
it answers what the reader asks with what it parses, and refuses what the API server would, so
that the dry run's CPU figures prove the run's token, Role and selectors, not a server that
says yes to everything."""

from __future__ import annotations

import os
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest
from chartlib import (
    NAMESPACE,
    RELEASE,
    RUN,
    RUN_JOB,
    Rendered,
    merge,
    one,
    pod_labels,
    pod_spec,
    with_images,
)
from chartlib import render as render_chart
from loadtest.cpu import process_cpu_seconds
from loadtest.k8s import MetricsClient, PodCpu, PodSelector
from metrics_api import MetricsApi

ACCOUNT = f"{RELEASE}-run"


def cpu_source(items: list[Rendered], name: str) -> PodSelector:
    """The run's --cpu-from source of service `name`, as the reader parses it."""
    (container,) = pod_spec(one(items, "Job", RUN_JOB))["containers"]  # type: ignore[index]
    prefix = f"--cpu-from={name}="
    (source,) = [a.removeprefix(prefix) for a in container["args"] if a.startswith(prefix)]
    return PodSelector.parse(source)


@pytest.fixture
def api(default_render: list[Rendered]) -> Iterator[MetricsApi]:
    """The stand-in over the default render, with django's and flask's pods as this process."""
    with MetricsApi(default_render, interval=0.1).serving() as api:
        for name in ("django", "flask"):
            labels = pod_labels(one(default_render, "Deployment", f"{RELEASE}-{name}"))
            api.add(f"{RELEASE}-{name}", NAMESPACE, labels, name, os.getpid())
        yield api


def read(api: MetricsApi, token: str, pods: PodSelector, folder: Path) -> list[PodCpu] | int:
    """loadtest's reader, as the run uses it, once the stand-in has sampled (within 5 s); or
    the HTTP status of its refusal."""
    (folder / "token").write_text(token)
    client = MetricsClient(api=api.url, token_file=folder / "token", ca_file=folder / "no-ca")
    deadline = time.monotonic() + 5
    try:
        while not (found := client.pods(pods)) and time.monotonic() < deadline:
            time.sleep(0.1)
    except urllib.error.HTTPError as error:
        with error:  # it holds the response
            return error.code
    return found


def test_the_runs_account_reads_its_selectors_pods(
    api: MetricsApi, default_render: list[Rendered], tmp_path: Path
) -> None:
    busy = process_cpu_seconds() + 0.3
    while process_cpu_seconds() < busy:  # CPU for the samples to show (bounded: CPU seconds)
        pass
    pods = cpu_source(default_render, "django")
    found = read(api, api.token_for(NAMESPACE, ACCOUNT), pods, tmp_path)
    assert isinstance(found, list), found
    assert {sample.pod for sample in found} == {f"{RELEASE}-django"}
    (sample,) = found
    assert 0 < sample.window < 1
    assert abs(sample.end - time.time()) < 5  # its timestamp, as the reader parses it
    assert sample.cores > 0
    assert api.answered[pods.selector] == {f"{RELEASE}-django"}


@pytest.mark.parametrize(
    ("account", "namespace", "code"),
    [
        ("default", NAMESPACE, 403),  # an account the Role is not bound to
        (ACCOUNT, "kube-system", 403),  # the Role is the namespace's only
        (None, NAMESPACE, 401),  # a token nobody issued
    ],
)
def test_what_the_api_server_refuses_is_refused(
    api: MetricsApi, tmp_path: Path, account: str | None, namespace: str, code: int
) -> None:
    token = "not-issued" if account is None else api.token_for(NAMESPACE, account)
    pods = PodSelector(namespace, "app.kubernetes.io/name=django")
    assert read(api, token, pods, tmp_path) == code
    assert api.refused


def test_without_service_cpu_the_run_has_no_access(tmp_path: Path) -> None:
    items = render_chart(values=with_images(merge(RUN, {"locust": {"run": {"serviceCpu": False}}})))
    with MetricsApi(items).serving() as api:
        token = api.token_for(NAMESPACE, ACCOUNT)
        assert read(api, token, PodSelector(NAMESPACE, "a=b"), tmp_path) == 403
