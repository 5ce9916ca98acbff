"""Production defaults of every rendered pod, and the wiring between the subcharts.

Over every scenario (defaults, values-aks.yaml, each service's values alone, and the web UI
mode): requests equal limits (Guaranteed QoS), probes, non-root with a read-only root
filesystem and nothing more than the restricted Pod Security Standard allows, images pinned
to a tag other than `latest`, credentials only through Secrets; the NetworkPolicy lets only
the services and the seed job reach MySQL; names and ports line up across the subcharts.
"""

from __future__ import annotations

import configparser
import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import helm_python as helm
import pytest
from chartlib import (
    CHART,
    RELEASE,
    SERVICES,
    Manifest,
    Rendered,
    containers,
    env_map,
    one,
    pod_labels,
    pod_spec,
    render,
    secret_values,
    selector_matches,
    workloads,
)
from conftest import SCENARIOS

UI = "locust-ui"
ALL_SCENARIOS = (*SCENARIOS, UI)
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet"}
SUFFIXES = {
    "m": Decimal("0.001"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
}
CREDENTIAL_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|(^|_)KEY$")


@pytest.fixture(scope="module")
def all_renders(renders: dict[str, list[Rendered]]) -> dict[str, list[Rendered]]:
    """The shared scenarios plus the umbrella in locust's web UI mode."""
    return {**renders, UI: render(CHART, {"locust": {"mode": "ui"}})}


def quantity(value: Any) -> Decimal:
    """A Kubernetes quantity ("500m", "2Gi", 6) as a number."""
    text = str(value)
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if text.endswith(suffix):
            return Decimal(text.removesuffix(suffix)) * SUFFIXES[suffix]
    return Decimal(text)


def pods(all_renders: dict[str, list[Rendered]], scenario: str) -> list[tuple[Rendered, Manifest]]:
    found = workloads(all_renders[scenario])
    assert found, f"{scenario}: no pods"
    return found


def is_service(item: Rendered) -> bool:
    return (
        item.kind == "Deployment" and pod_labels(item).get("app.kubernetes.io/component") == "web"
    )


# --- every container --------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_requests_equal_limits(all_renders: dict[str, list[Rendered]], scenario: str) -> None:
    """Every container, init containers included: Guaranteed QoS needs them all."""
    for item, spec in pods(all_renders, scenario):
        for _, container in containers(spec):
            where = f"{item} container {container['name']}"
            resources = container.get("resources") or {}
            requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
            assert {"cpu", "memory"} <= requests.keys(), f"{where}: requests {requests}"
            assert requests.keys() == limits.keys(), f"{where}: {requests} vs {limits}"
            for resource, request in requests.items():
                assert quantity(request) == quantity(limits[resource]), f"{where}: {resource}"


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_restricted_security_context(all_renders: dict[str, list[Rendered]], scenario: str) -> None:
    """Non-root, read-only root filesystem, no capability, no escalation, RuntimeDefault."""
    for item, spec in pods(all_renders, scenario):
        pod_context: Manifest = spec.get("securityContext") or {}
        assert spec.get("automountServiceAccountToken") is False, f"{item}: API token mounted"
        for field in ("hostNetwork", "hostPID", "hostIPC"):
            assert not spec.get(field), f"{item}: {field}"
        for _, container in containers(spec):
            where = f"{item} container {container['name']}"
            context = container.get("securityContext") or {}

            def effective(
                field: str, context: Manifest = context, pod_context: Manifest = pod_context
            ) -> Any:
                return context.get(field, pod_context.get(field))

            assert effective("runAsNonRoot") is True, where
            assert effective("runAsUser") not in (None, 0), f"{where}: no numeric non-root uid"
            assert context.get("readOnlyRootFilesystem") is True, where
            assert context.get("allowPrivilegeEscalation") is False, where
            assert not context.get("privileged"), where
            capabilities = context.get("capabilities") or {}
            assert "ALL" in (capabilities.get("drop") or []), where
            assert not capabilities.get("add"), where
            assert (effective("seccompProfile") or {}).get("type") == "RuntimeDefault", where


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_images_are_pinned(all_renders: dict[str, list[Rendered]], scenario: str) -> None:
    for item, spec in pods(all_renders, scenario):
        for _, container in containers(spec):
            image = container["image"]
            name, _, tag = image.rpartition(":")
            assert name, f"{item}: {image} has no tag"
            assert "/" not in tag, f"{item}: {image} has no tag"
            assert tag != "latest", f"{item}: {image}"


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_long_running_containers_have_probes(
    all_renders: dict[str, list[Rendered]], scenario: str
) -> None:
    """Deployments and StatefulSets; Jobs and test Pods run to completion instead."""
    for item, spec in pods(all_renders, scenario):
        if item.kind not in LONG_RUNNING:
            continue
        for _, container in containers(spec):
            assert container.get("livenessProbe"), f"{item}: {container['name']}: no liveness"
            assert container.get("readinessProbe"), f"{item}: {container['name']}: no readiness"


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_services_follow_the_contract(
    all_renders: dict[str, list[Rendered]], scenario: str
) -> None:
    """Probes /healthz and /readyz on the port named http, PORT=8000, the image's own CMD."""
    services = [(item, spec) for item, spec in pods(all_renders, scenario) if is_service(item)]
    assert services, f"{scenario}: no service Deployment"
    for item, spec in services:
        (container,) = spec["containers"]
        assert "command" not in container, f"{item}: CMD overridden"
        assert "args" not in container, f"{item}: CMD overridden"
        assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
        assert env_map(container)["PORT"] == {"name": "PORT", "value": "8000"}
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            http = container[probe]["httpGet"]
            assert (http["path"], http["port"]) == (path, "http"), f"{item}: {probe}"
        volumes = {mount["mountPath"] for mount in container["volumeMounts"]}
        assert "/tmp" in volumes, f"{item}: no writable /tmp"


# --- credentials ------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_credentials_come_from_secrets(
    all_renders: dict[str, list[Rendered]], scenario: str
) -> None:
    """Credential variables are secretKeyRefs; URLs carry a $(reference), never a password."""
    for item, spec in pods(all_renders, scenario):
        for _, container in containers(spec):
            where = f"{item} container {container['name']}"
            declared: dict[str, Manifest] = {}
            for entry in container.get("env") or []:
                name = entry["name"]
                if CREDENTIAL_NAME.search(name):
                    reference = (entry.get("valueFrom") or {}).get("secretKeyRef")
                    assert reference, f"{where}: {name} is not from a Secret"
                    assert "value" not in entry, f"{where}: {name} has a literal value"
                value = entry.get("value")
                if value and "://" in value:
                    password = urlsplit(value).password
                    if password is not None:
                        match = re.fullmatch(r"\$\((\w+)\)", password)
                        assert match, f"{where}: {name} holds a literal password"
                        source = declared.get(match.group(1)) or {}
                        assert "secretKeyRef" in (source.get("valueFrom") or {}), (
                            f"{where}: {name} uses $({match.group(1)}), not declared from a Secret"
                        )
                declared[name] = entry


@pytest.mark.parametrize("scenario", ALL_SCENARIOS)
def test_no_secret_value_outside_secrets(
    all_renders: dict[str, list[Rendered]], scenario: str
) -> None:
    items = all_renders[scenario]
    values = secret_values(items)
    for item in items:
        if item.kind == "Secret":
            continue
        text = json.dumps(item.obj)
        for where, value in values.items():
            assert value not in text, f"{item} contains the value of Secret {where}"


def test_generated_passwords_are_url_safe(default_render: list[Rendered]) -> None:
    """They go into DATABASE_URL as they are ($(DATABASE_PASSWORD) expansion)."""
    passwords = {k: v for k, v in secret_values(default_render).items() if "password" in k}
    assert len(passwords) == 3, passwords.keys()
    for where, value in passwords.items():
        assert re.fullmatch(r"[A-Za-z0-9]{32}", value), where


def test_an_existing_secret_replaces_the_generated_one() -> None:
    items = render(
        values={
            "global": {"database": {"secretName": "my-mysql-passwords"}},
            "mysql": {"auth": {"existingSecret": "my-mysql-passwords"}},
        }
    )
    assert not any(item.kind == "Secret" and item.name == f"{RELEASE}-mysql" for item in items)
    references = set()
    for _, spec in workloads(items):
        for _, container in containers(spec):
            for entry in container.get("env") or []:
                reference = (entry.get("valueFrom") or {}).get("secretKeyRef")
                if reference and "password" in reference["key"]:
                    references.add(reference["name"])
    assert references == {"my-mysql-passwords"}


# --- network policy ---------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", ["default", "aks", UI])
def test_only_the_services_and_the_seed_job_reach_mysql(
    all_renders: dict[str, list[Rendered]], scenario: str
) -> None:
    items = all_renders[scenario]
    (policy,) = [item for item in items if item.kind == "NetworkPolicy"]
    spec = policy.obj["spec"]
    assert spec["policyTypes"] == ["Ingress"]
    selected = [
        item
        for item, _ in workloads(items)
        if selector_matches(spec["podSelector"], pod_labels(item))
    ]
    assert [str(item) for item in selected] == [str(one(items, "StatefulSet", f"{RELEASE}-mysql"))]
    (rule,) = spec["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": "mysql"}]
    admitted = {
        item.name
        for item, _ in workloads(items)
        if any(selector_matches(peer["podSelector"], pod_labels(item)) for peer in rule["from"])
    }
    assert admitted == {f"{RELEASE}-{name}" for name in SERVICES} | {f"{RELEASE}-seed"}


# --- wiring between the subcharts ------------------------------------------------------------


def _service_port(items: list[Rendered], name: str) -> int:
    service = one(items, "Service", name)
    (port,) = service.obj["spec"]["ports"]
    return int(port["port"])


@pytest.mark.parametrize("scenario", ["default", "aks"])
def test_clients_point_at_the_mysql_service_and_secret(
    all_renders: dict[str, list[Rendered]], scenario: str
) -> None:
    items = all_renders[scenario]
    secrets = {(key.split(":")[0], key.split(":")[1]) for key in secret_values(items)}
    mysql_port = next(
        p["port"] for p in one(items, "Service", f"{RELEASE}-mysql").obj["spec"]["ports"]
    )
    urls = 0
    for item, spec in workloads(items):
        for _, container in containers(spec):
            env = env_map(container)
            if "DATABASE_URL" in env:
                url = urlsplit(env["DATABASE_URL"]["value"])
                assert (url.hostname, url.port) == (f"{RELEASE}-mysql", mysql_port), item
                urls += 1
            for entry in env.values():
                reference = (entry.get("valueFrom") or {}).get("secretKeyRef")
                if reference:
                    assert (reference["name"], reference["key"]) in secrets, f"{item}: {reference}"
    assert urls == len(SERVICES) + 1  # the services and the seed job


@pytest.mark.parametrize("scenario", ["default", "aks"])
def test_locust_targets_are_the_services(
    all_renders: dict[str, list[Rendered]], scenario: str
) -> None:
    items = all_renders[scenario]
    run = one(items, "Job", f"{RELEASE}-locust-run-1")
    (container,) = pod_spec(run)["containers"]  # type: ignore[index]
    targets = [
        arg.removeprefix("--target=") for arg in container["args"] if arg.startswith("--target=")
    ]
    assert [target.split("=")[0] for target in targets] == list(SERVICES)
    for target in targets:
        name, url = target.split("=", 1)
        parts = urlsplit(url)
        assert parts.hostname == f"{RELEASE}-{name}"
        assert parts.port == _service_port(items, f"{RELEASE}-{name}")
    workers = one(items, "Deployment", f"{RELEASE}-locust-worker")
    replicas = workers.obj["spec"]["replicas"]
    assert f"--expect-workers={replicas}" in container["args"]
    assert f"--meta=workers={replicas}" in container["args"]
    master_service = one(items, "Service", f"{RELEASE}-locust-master")
    assert selector_matches(
        {"matchLabels": master_service.obj["spec"]["selector"]}, pod_labels(run)
    )
    (worker,) = pod_spec(workers)["containers"]  # type: ignore[index]
    assert env_map(worker)["LOADTEST_MASTER_HOST"]["value"] == master_service.name


@pytest.mark.parametrize("scenario", ["default", "aks"])
def test_max_connections_fits_the_pools(
    all_renders: dict[str, list[Rendered]], scenario: str
) -> None:
    items = all_renders[scenario]
    config = configparser.ConfigParser(strict=True)
    config.read_string(one(items, "ConfigMap", f"{RELEASE}-mysql").obj["data"]["bench.cnf"])
    max_connections = config.getint("mysqld", "max_connections")
    pools = 0
    for item, spec in workloads(items):
        if is_service(item):
            env = env_map(spec["containers"][0])
            pools += (
                item.obj["spec"]["replicas"]
                * int(env["WEB_CONCURRENCY"]["value"])
                * int(env["DB_POOL_SIZE"]["value"])
            )
    assert pools > 0
    assert max_connections >= pools + 10, (max_connections, pools)


def test_seed_job_loads_then_grants(default_render: list[Rendered]) -> None:
    job = one(default_render, "Job", f"{RELEASE}-seed")
    annotations = job.obj["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "post-install,post-upgrade"
    spec = pod_spec(job)
    assert spec is not None
    assert [c["name"] for c in spec["initContainers"]] == ["wait-for-mysql", "seed"]
    (grant,) = spec["containers"]
    seed = spec["initContainers"][1]
    assert urlsplit(env_map(seed)["DATABASE_URL"]["value"]).username == "bench_seed"
    assert (
        env_map(grant)["GRANT"]["value"] == "GRANT SELECT ON `demo`.`demo_data` TO 'bench_app'@'%'"
    )
    dataset = one(default_render, "ConfigMap", f"{RELEASE}-dataset").obj["data"]
    assert dataset == {"LOADTEST_ROWS": "1000000", "LOADTEST_SEED": "20240820"}
    assert seed["envFrom"] == [{"configMapRef": {"name": f"{RELEASE}-dataset"}}]


def test_mysql_creates_a_read_only_account(default_render: list[Rendered]) -> None:
    """The init script gives the services' account nothing; the seed job grants SELECT later."""
    script = one(default_render, "ConfigMap", f"{RELEASE}-mysql").obj["data"]["bench-users.sh"]
    grants = [line for line in script.splitlines() if line.startswith("GRANT")]
    assert len(grants) == 1, grants
    assert "TO 'bench_seed'@'%'" in grants[0], grants
    assert "CREATE USER 'bench_app'@'%'" in script


# --- the umbrella's consistency checks (templates/checks.yaml) --------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"mysql": {"config": {"maxConnections": 40}}}, "maxConnections"),
        ({"flask": {"enabled": False}}, "locust.targets lists flask"),
        ({"django": {"database": {"user": "root"}}}, "django.database.user"),
        ({"global": {"database": {"host": "elsewhere"}}}, "global.database.host"),
        ({"global": {"database": {"secretName": "mine"}}}, "global.database.secretName"),
    ],
)
def test_inconsistent_values_are_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(helm.HelmRenderError, match=re.escape(message)):
        render(values=values)


def test_a_service_can_be_left_out() -> None:
    items = render(
        values={
            "flask": {"enabled": False},
            "locust": {
                "targets": [{"name": "django", "url": "http://{{ .Release.Name }}-django:8000"}]
            },
        }
    )
    names = {item.name for item in items if item.kind == "Deployment"}
    assert f"{RELEASE}-flask" not in names
    assert f"{RELEASE}-django" in names
    (policy,) = [item for item in items if item.kind == "NetworkPolicy"]
    assert "flask" not in json.dumps(policy.obj)
