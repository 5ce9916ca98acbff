"""The renders the tests share: defaults, values-aks.yaml, and each service's values alone."""

from __future__ import annotations

import pytest
from chartlib import (
    AKS_VALUES,
    CHART,
    RUN,
    SERVICES,
    SERVICES_DIR,
    SUBCHARTS,
    ZONE,
    Rendered,
    enabled_services,
    load_values,
    merge,
    render,
    subchart_images,
    with_images,
)

# Each scenario: a name and how to render it. Rendering takes well under a second. Every one
# has the images deploy/images.py writes; the umbrella's have a run (locust.run.id).
SCENARIOS = ("default", "aks", *(f"{name}-alone" for name in SERVICES))
# The AKS install of the README: values-aks.yaml, the images, the zone; then a run.
AKS = merge(load_values(AKS_VALUES), {"global": {"zone": ZONE}})
# The services (aliases) each umbrella scenario runs: the four, and all six on AKS.
SCENARIO_SERVICES = {"default": enabled_services({}), "aks": enabled_services(AKS)}


def render_scenario(scenario: str) -> list[Rendered]:
    """The objects of one scenario."""
    if scenario == "default":
        return render(CHART, with_images(RUN))
    if scenario == "aks":
        return render(CHART, with_images(merge(AKS, RUN)))
    service = scenario.removesuffix("-alone")
    # `helm install demo deploy/helm/charts/service -f services/<name>/values.yaml -f images.yaml`
    return render(
        SUBCHARTS["service"],
        subchart_images(load_values(SERVICES_DIR / service / "values.yaml")),
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
    """The umbrella chart with values-aks.yaml, the images and the zone, as the README has it."""
    return renders["aks"]
