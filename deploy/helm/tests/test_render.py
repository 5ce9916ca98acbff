"""Render the charts and validate every object against the Kubernetes schemas, strictly.

Scenarios (conftest.py): the umbrella with its defaults, with values-aks.yaml, and the generic
service chart with each services/<name>/values.yaml alone. Every object is validated against
the schemas of Kubernetes 1.30 (the charts' kubeVersion floor) and of the newest version
kubernetes-validate bundles, with unknown fields as errors and an unknown kind or apiVersion
as a failure (the library's CLI would only warn). The library reports the first error of an
object, so each object is reported on its own.
"""

from __future__ import annotations

from typing import Any

import pytest
from chartlib import (
    KUBERNETES_VERSIONS,
    RELEASE,
    RUN_JOB,
    SERVICES,
    SERVICES_DIR,
    SUBCHARTS,
    Manifest,
    Rendered,
    containers,
    env_map,
    load_values,
    merge,
    pod_spec,
    render,
    subchart_images,
    validate,
    with_images,
)
from conftest import SCENARIOS
from kubernetes_validate import utils as kv


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_object_is_valid(
    renders: dict[str, list[Rendered]], scenario: str, version: str
) -> None:
    items = renders[scenario]
    assert items, f"{scenario} rendered nothing"
    failures = []
    for item in items:
        try:
            validate(item.obj, version)
        except kv.ValidationError as error:
            path = ".".join(str(part) for part in error.path)
            failures.append(f"{item}: {path}: {error.message}")
        except kv.SchemaNotFoundError as error:
            failures.append(f"{item}: {error.message}")
    assert not failures, "\n".join(failures)


def test_default_render_holds_the_whole_comparison(default_render: list[Rendered]) -> None:
    found = {(item.kind, item.name) for item in default_render}
    expected = {
        ("StatefulSet", f"{RELEASE}-mysql"),
        ("Service", f"{RELEASE}-mysql"),
        ("Service", f"{RELEASE}-mysql-headless"),
        ("Secret", f"{RELEASE}-mysql"),
        ("ConfigMap", f"{RELEASE}-mysql"),
        ("ConfigMap", f"{RELEASE}-dataset"),
        ("Job", f"{RELEASE}-seed"),
        *(
            ("NetworkPolicy", f"{RELEASE}-{name}")
            for name in ("mysql", "services", "locust-master", "clients")
        ),
        ("Deployment", f"{RELEASE}-locust-worker"),
        ("Service", f"{RELEASE}-locust-master"),
        ("Job", RUN_JOB),
        *((kind, f"{RELEASE}-run") for kind in ("ServiceAccount", "Role", "RoleBinding")),
        ("PersistentVolumeClaim", f"{RELEASE}-locust-results"),
        ("Pod", f"{RELEASE}-test-comparison"),
        *((kind, f"{RELEASE}-{name}") for name in SERVICES for kind in ("Deployment", "Service")),
        ("Secret", f"{RELEASE}-django"),  # Django's SECRET_KEY
    }
    assert expected <= found, sorted(expected - found)
    # The UI master exists only in ui mode.
    assert ("Deployment", f"{RELEASE}-locust-master") not in found


def test_every_subchart_rendered(default_render: list[Rendered]) -> None:
    """render() drops a dependency that is not unpacked under charts/ without a word."""
    sources = {
        item.template.split("/")[2] for item in default_render if "/charts/" in item.template
    }
    assert sources == {*SERVICES, "mysql", "locust"}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_object_has_the_standard_labels(
    renders: dict[str, list[Rendered]], scenario: str
) -> None:
    for item in renders[scenario]:
        labels = item.obj["metadata"].get("labels") or {}
        for key in (
            "helm.sh/chart",
            "app.kubernetes.io/name",
            "app.kubernetes.io/instance",
            "app.kubernetes.io/managed-by",
        ):
            assert labels.get(key), f"{item}: no {key}"


def test_ui_mode_renders_the_web_ui() -> None:
    """locust.mode=ui: a master Deployment with the web UI instead of the run Job."""
    items = render(values=with_images({"locust": {"mode": "ui"}}))
    found = {(item.kind, item.name) for item in items}
    assert ("Deployment", f"{RELEASE}-locust-master") in found
    assert not any(item.kind == "Job" and item.name != f"{RELEASE}-seed" for item in items)
    for item in items:
        for version in KUBERNETES_VERSIONS:
            validate(item.obj, version)
    master = next(i for i in items if i.kind == "Service" and i.name == f"{RELEASE}-locust-master")
    assert {port["name"] for port in master.obj["spec"]["ports"]} == {"master", "web"}


@pytest.mark.parametrize(
    "values",
    [
        {"locust": {"enabled": False}},
        {
            "mysql": {"persistence": {"enabled": False}},
            "locust": {"run": {"persistence": {"enabled": False}}},
        },
        {"networkPolicy": {"enabled": False}, "test": {"enabled": False}},
        {"mysql": {"auth": {"authenticationPlugin": "caching_sha2_password"}}},
        {"seed": {"replace": True, "rows": 1000}, "locust": {"workers": {"replicas": 0}}},
    ],
    ids=["no-locust", "no-persistence", "no-policy-no-tests", "caching-sha2", "small"],
)
def test_variants_render_valid_objects(values: dict[str, Any]) -> None:
    items = render(values=with_images(values))
    for item in items:
        for version in KUBERNETES_VERSIONS:
            validate(item.obj, version)


def test_an_unknown_kind_is_a_failure() -> None:
    """kubernetes-validate's CLI only warns about a kind it has no schema for; here it fails."""
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    with pytest.raises(kv.SchemaNotFoundError):
        validate(widget, KUBERNETES_VERSIONS[0])


def _server(values: dict[str, Any]) -> tuple[Rendered, Manifest]:
    """The service chart's Deployment, rendered with ``values``, and its server container."""
    (deployment,) = [
        item for item in render(SUBCHARTS["service"], values) if item.kind == "Deployment"
    ]
    spec = pod_spec(deployment)
    assert spec is not None
    ((_, container),) = containers(spec)
    return deployment, container


@pytest.mark.parametrize("name", ["django", "flask"])
def test_the_service_chart_deploys_thread_mode_by_its_environment(name: str) -> None:
    """workerModel is WORKER_MODEL, config.workerThreads WORKER_THREADS; the command stays the
    image's own, and neither variable is set unless asked (the service's defaults)."""
    base = subchart_images(load_values(SERVICES_DIR / name / "values.yaml"))
    threads = merge(base, {"workerModel": "threads", "config": {"workerThreads": 16}})
    _, default = _server(base)
    deployment, threaded = _server(threads)
    assert not {"WORKER_MODEL", "WORKER_THREADS"} & set(env_map(default))
    env = env_map(threaded)
    assert env["WORKER_MODEL"] == {"name": "WORKER_MODEL", "value": "threads"}
    assert env["WORKER_THREADS"] == {"name": "WORKER_THREADS", "value": "16"}
    assert "command" not in threaded
    assert "args" not in threaded
    for version in KUBERNETES_VERSIONS:
        validate(deployment.obj, version)


def test_the_service_chart_refuses_an_unknown_model() -> None:
    values = subchart_images(load_values(SERVICES_DIR / "flask" / "values.yaml"))
    with pytest.raises(Exception, match="workerModel"):
        render(SUBCHARTS["service"], merge(values, {"workerModel": "bogus"}))
