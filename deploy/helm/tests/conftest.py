"""The renders the tests share: defaults, values-aks.yaml, and each service's values alone."""

from __future__ import annotations

import pytest
from chartlib import (
    AKS_REGISTRY,
    AKS_VALUES,
    CHART,
    SERVICES,
    SERVICES_DIR,
    SUBCHARTS,
    Rendered,
    load_values,
    merge,
    render,
)

# Each scenario: a name and how to render it. Rendering takes well under a second.
SCENARIOS = ("default", "aks", *(f"{name}-alone" for name in SERVICES))


def render_scenario(scenario: str) -> list[Rendered]:
    """The objects of one scenario."""
    if scenario == "default":
        return render(CHART)
    if scenario == "aks":
        return render(CHART, merge(load_values(AKS_VALUES), AKS_REGISTRY))
    service = scenario.removesuffix("-alone")
    # `helm install demo deploy/helm/charts/service -f services/<name>/values.yaml`
    return render(
        SUBCHARTS["service"],
        load_values(SERVICES_DIR / service / "values.yaml"),
        release="demo",
        namespace="demo",
    )


@pytest.fixture(scope="session")
def renders() -> dict[str, list[Rendered]]:
    """Every scenario's objects, rendered once per session."""
    return {scenario: render_scenario(scenario) for scenario in SCENARIOS}


@pytest.fixture(scope="session")
def default_render(renders: dict[str, list[Rendered]]) -> list[Rendered]:
    """The umbrella chart with its default values."""
    return renders["default"]


@pytest.fixture(scope="session")
def aks_render(renders: dict[str, list[Rendered]]) -> list[Rendered]:
    """The umbrella chart with values-aks.yaml (and a registry, as the README installs it)."""
    return renders["aks"]
