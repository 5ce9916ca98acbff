"""`helm lint --strict` on the umbrella chart and on each subchart, with Helm's own linter.

Lint's ``with_subcharts`` option has no effect in the SDK, so each subchart is linted on its
own. Findings are data: any warning or error fails, and so does an info unless it is listed
in ``JUSTIFIED`` with the reason. In lint mode Helm's ``required`` and ``fail`` only log a line
on stderr (from Go, outside Python's logging) instead of failing: a clean lint logs nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
from chartlib import (
    CHART,
    RUN,
    SERVICES,
    SERVICES_DIR,
    SUBCHARTS,
    load_values,
    merge,
    subchart_images,
    with_images,
)
from conftest import AKS

KUBE_VERSION = "v1.30.0"
INFO, WARNING, ERROR = 1, 2, 3
# Lint findings accepted, each with the reason.
JUSTIFIED = {
    # The project has no logo; Chart.yaml's icon is optional (helm.sh/docs/topics/charts).
    (INFO, "Chart.yaml", "icon is recommended"),
}
CHARTS = {"bench": CHART, **SUBCHARTS}
# The values each chart is linted with: the images deploy/images.py writes (globals for a
# subchart; MySQL's chart needs none), and a run for the umbrella.
LINT_VALUES = {
    "bench": with_images(RUN),
    "service": subchart_images(),
    "mysql": {},
    "locust": subchart_images(),
}


def lint(path: Path, values: dict[str, Any] | None = None) -> dict[str, Any]:
    return helm.lint(path, values, strict=True, kube_version=KUBE_VERSION)


def unjustified(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        message
        for message in report["messages"]
        if (message["severity"], message["path"], message["error"]) not in JUSTIFIED
    ]


@pytest.mark.parametrize("name", CHARTS)
def test_lint_is_clean(name: str, capfd: pytest.CaptureFixture[str]) -> None:
    report = lint(CHARTS[name], LINT_VALUES[name])
    assert report["total_charts_linted"] == 1
    assert report["errors"] == []
    assert unjustified(report) == []
    assert capfd.readouterr().err == ""


def test_lint_is_clean_with_the_aks_values(capfd: pytest.CaptureFixture[str]) -> None:
    report = lint(CHART, with_images(merge(AKS, RUN)))
    assert report["errors"] == []
    assert unjustified(report) == []
    assert capfd.readouterr().err == ""


def test_lint_only_logs_a_failed_check(capfd: pytest.CaptureFixture[str]) -> None:
    """Why the clean-lint tests read stderr: a failing `fail` (templates/checks.yaml) is no
    finding, only a log line. (test_policy.py shows that rendering refuses these values.)"""
    report = lint(CHART, with_images({"mysql": {"config": {"maxConnections": 20}}}))
    assert report["errors"] == []
    assert "mysql.config.maxConnections is 20" in capfd.readouterr().err


def test_subcharts_are_unpacked_local_dependencies() -> None:
    """Every dependency is a directory under charts/ (render() would silently drop others)."""
    dependencies = helm.dependency_list(CHART)
    assert dependencies, "Chart.yaml declares no dependencies"
    for dependency in dependencies:
        assert dependency["repository"].startswith("file://charts/"), dependency
        assert dependency["status"] == "unpacked", dependency
        assert (CHART / dependency["repository"].removeprefix("file://")).is_dir()


@pytest.mark.parametrize("name", SERVICES)
def test_service_chart_lints_with_each_service_values(
    name: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """`helm lint deploy/helm/charts/service -f services/<name>/values.yaml --strict`."""
    report = lint(
        SUBCHARTS["service"], subchart_images(load_values(SERVICES_DIR / name / "values.yaml"))
    )
    assert report["errors"] == []
    assert unjustified(report) == []
    assert capfd.readouterr().err == ""


def test_the_package_leaves_the_test_suite_out() -> None:
    """.helmignore drops deploy/helm/tests/ (pytest), not templates/tests/ (helm test)."""
    with helm.Chart.load(CHART) as chart:
        files = [entry["name"] for entry in chart.files]
        templates = [entry["name"] for entry in chart.templates]
    assert not [name for name in files if name.startswith("tests/")], files
    assert "templates/tests/test-comparison.yaml" in templates
