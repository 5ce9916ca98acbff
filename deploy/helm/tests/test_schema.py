"""Every chart's values.schema.json refuses bad values, through Helm's own validation.

Values go through render(), which validates the umbrella's schema and each subchart's, under
its alias, as `helm install` does (Chart.validate_schema() is not alias-aware).
"""

from __future__ import annotations

import json
from typing import Any

import helm_python as helm
import pytest
from chartlib import (
    AKS_VALUES,
    CHART,
    SERVICES_DIR,
    SUBCHARTS,
    load_values,
    merge,
    render,
    subchart_images,
    with_images,
)


@pytest.mark.parametrize(
    ("values", "where"),
    [
        # A typo'd key, at each level and in each chart.
        ({"seeed": {"rows": 10}}, "seeed"),
        ({"seed": {"rowz": 10}}, "rowz"),
        ({"django": {"replicaCuont": 2}}, "replicaCuont"),
        ({"flask": {"config": {"webConcurency": 4}}}, "webConcurency"),
        ({"mysql": {"config": {"maxConnection": 500}}}, "maxConnection"),
        ({"locust": {"workers": {"replica": 4}}}, "replica"),
        # A negative replica count.
        ({"django": {"replicaCount": -1}}, "/replicaCount"),
        ({"locust": {"workers": {"replicas": -3}}}, "/workers/replicas"),
        # Other bad values.
        ({"starlette": {"image": {"tag": "latest"}}}, "/image/tag"),
        ({"fastapi": {"resources": {"limits": {"cpu": "six"}}}}, "/resources/limits/cpu"),
        ({"mysql": {"auth": {"authenticationPlugin": "auth_socket"}}}, "authenticationPlugin"),
        ({"locust": {"mode": "interactive"}}, "/mode"),
        ({"seed": {"rows": -5}}, "/seed/rows"),
        # Images: a tag or a digest that is no such thing, a digest for an unknown image.
        ({"global": {"imageTag": "latest"}}, "/global/imageTag"),
        ({"global": {"imageDigests": {"django": "sha256:abc"}}}, "/global/imageDigests"),
        ({"global": {"imageDigests": {"nginx": "sha256:" + "0" * 64}}}, "propertyName 'nginx'"),
        ({"mysql": {"image": {"digest": "latest"}}}, "/image/digest"),
        # MySQL is not optional: its `enabled` would be silently ignored.
        ({"mysql": {"enabled": False}}, "enabled"),
        # A run id that cannot name a Job and a folder.
        ({"locust": {"run": {"id": "Run 1"}}}, "/run/id"),
        ({"locust": {"run": {"id": "x" * 31}}}, "/run/id"),
        ({"global": {"zone": "west europe"}}, "/global/zone"),
    ],
)
def test_bad_values_are_refused(values: dict[str, Any], where: str) -> None:
    with pytest.raises(helm.HelmValuesError, match="schema") as refused:
        render(values=with_images(values))
    assert where in str(refused.value)


def test_the_aks_zone_placeholder_is_refused() -> None:
    """values-aks.yaml without --set global.zone: its `<location>-1` placeholder is refused."""
    with pytest.raises(helm.HelmValuesError, match="zone"):
        render(values=with_images(load_values(AKS_VALUES)))


def test_a_service_chart_alone_refuses_bad_values() -> None:
    values = merge(load_values(SERVICES_DIR / "django" / "values.yaml"), {"replicaCount": -1})
    with pytest.raises(helm.HelmValuesError, match="replicaCount"):
        render(SUBCHARTS["service"], subchart_images(values))


@pytest.mark.parametrize("chart", [CHART, *SUBCHARTS.values()], ids=["bench", *SUBCHARTS])
def test_every_chart_has_a_closed_schema(chart: Any) -> None:
    """Each chart ships a schema that refuses unknown top-level keys."""
    schema = json.loads((chart / "values.schema.json").read_text())
    assert schema["additionalProperties"] is False
    defaults = load_values(chart / "values.yaml")
    assert set(defaults) <= set(schema["properties"]), set(defaults) - set(schema["properties"])
