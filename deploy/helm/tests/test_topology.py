"""values-aks.yaml renders the blog's topology (README.md, "AKS from zero", makes the pools).

Each service alone on its own 8-vCPU pool with 6 CPUs (Guaranteed QoS) and a worker per CPU;
MySQL alone on the 16-vCPU pool with a Premium SSD; locust workers over the three load pools;
the run, the seed job and the tests on the system pool.
"""

from __future__ import annotations

import pytest
from chartlib import RELEASE, SERVICES, Manifest, Rendered, env_map, one, pod_spec

LOAD_POOLS = ["load8v5", "load8v3", "load4v4"]


def spec_of(items: list[Rendered], kind: str, name: str) -> Manifest:
    spec = pod_spec(one(items, kind, name))
    assert spec is not None
    return spec


def toleration(value: str) -> Manifest:
    return {"key": "dedicated", "operator": "Equal", "value": value, "effect": "NoSchedule"}


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_owns_a_pool(aks_render: list[Rendered], name: str) -> None:
    deployment = one(aks_render, "Deployment", f"{RELEASE}-{name}")
    spec = spec_of(aks_render, "Deployment", f"{RELEASE}-{name}")
    assert deployment.obj["spec"]["replicas"] == 1
    assert spec["nodeSelector"] == {"agentpool": name}
    assert spec["tolerations"] == [toleration(name)]
    (container,) = spec["containers"]
    assert container["resources"]["limits"] == {"cpu": "6", "memory": "8Gi"}
    assert container["resources"]["requests"] == container["resources"]["limits"]
    assert env_map(container)["WEB_CONCURRENCY"]["value"] == "6"
    assert container["image"] == f"benchacr.azurecr.io/bench/{name}:0.1.0"


def test_mysql_owns_the_16_vcpu_pool(aks_render: list[Rendered]) -> None:
    statefulset = one(aks_render, "StatefulSet", f"{RELEASE}-mysql")
    spec = spec_of(aks_render, "StatefulSet", f"{RELEASE}-mysql")
    assert spec["nodeSelector"] == {"agentpool": "mysql"}
    assert spec["tolerations"] == [toleration("mysql")]
    (container,) = spec["containers"]
    assert container["resources"]["limits"] == {"cpu": "14", "memory": "48Gi"}
    assert container["image"] == "docker.io/library/mysql:8.4"
    (claim,) = statefulset.obj["spec"]["volumeClaimTemplates"]
    assert claim["spec"]["storageClassName"] == "managed-csi-premium"


def test_workers_spread_over_the_load_pools(aks_render: list[Rendered]) -> None:
    workers = one(aks_render, "Deployment", f"{RELEASE}-locust-worker")
    spec = spec_of(aks_render, "Deployment", f"{RELEASE}-locust-worker")
    assert workers.obj["spec"]["replicas"] == 60
    terms = spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    (term,) = terms["nodeSelectorTerms"]
    assert term["matchExpressions"] == [
        {"key": "agentpool", "operator": "In", "values": LOAD_POOLS}
    ]
    assert spec["tolerations"] == [toleration("load")]
    (spread,) = spec["topologySpreadConstraints"]
    assert spread["topologyKey"] == "kubernetes.io/hostname"
    (container,) = spec["containers"]
    assert container["resources"]["limits"]["cpu"] == "1"


def test_run_seed_and_tests_use_the_system_pool(aks_render: list[Rendered]) -> None:
    for kind, name in (
        ("Job", f"{RELEASE}-locust-run-1"),
        ("Job", f"{RELEASE}-seed"),
        ("Pod", f"{RELEASE}-test-comparison"),
    ):
        assert spec_of(aks_render, kind, name)["nodeSelector"] == {"agentpool": "system"}, name


def test_the_dedicated_pools_hold_nothing_else(aks_render: list[Rendered]) -> None:
    """Only a pool's own pods (and its tests) tolerate its taint."""
    for item in aks_render:
        spec = pod_spec(item)
        if spec is None:
            continue
        for entry in spec.get("tolerations") or []:
            pool = entry["value"]
            owner = item.obj["metadata"]["labels"]["app.kubernetes.io/name"]
            assert owner == pool or (pool == "load" and owner == "locust"), f"{item}: {entry}"
