"""A fair topology, stated and checked: values-aks.yaml and the README's cluster commands.

Each service alone on its own 8-vCPU pool with the same 6 whole CPUs (Guaranteed QoS, so the
static CPU manager gives it 6 cores of its own) and a worker per CPU; MySQL alone on the
16-vCPU pool with a Premium SSD; locust workers over the three load pools, one whole CPU each;
the run, the seed job and the tests on the system pool. Every pool in one availability zone,
every pool with the static CPU manager, every pod pinned to that zone; the run records the load
generators' CPU.
"""

from __future__ import annotations

import json
import re
import shlex
from decimal import Decimal

import pytest
from chartlib import (
    AKS_POOLS,
    ALIASES,
    CHART,
    DIGESTS,
    IMAGE_TAG,
    MYSQL_DIGEST,
    REGISTRY,
    RELEASE,
    REPO,
    RUN_JOB,
    THREADS,
    ZONE,
    Manifest,
    Rendered,
    containers,
    env_map,
    image_of,
    one,
    pod_spec,
    quantity,
    workloads,
)
from conftest import SCENARIO_SERVICES

from deploy.aks import cost

LOAD_POOLS = ["load8v5", "load8v3", "load4v4"]
README = CHART / "README.md"
KUBELET_CONFIG = "deploy/aks/kubelet-config.json"


def spec_of(items: list[Rendered], kind: str, name: str) -> Manifest:
    spec = pod_spec(one(items, kind, name))
    assert spec is not None
    return spec


def toleration(value: str) -> Manifest:
    return {"key": "dedicated", "operator": "Equal", "value": value, "effect": "NoSchedule"}


def readme_commands(prefix: str) -> list[list[str]]:
    """The README's shell commands that start with `prefix`, continuation lines joined."""
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
    commands = []
    for block in blocks:
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            stripped = line.strip()
            if stripped.startswith(prefix):
                commands.append(shlex.split(stripped, comments=True))
    return commands


def option(command: list[str], name: str) -> str:
    assert name in command, f"{name} missing from {shlex.join(command)}"
    return command[command.index(name) + 1]


def readme_pools() -> list[tuple[str, str, int, list[str]]]:
    """(pool, VM size, nodes, command) of every pool the README creates, loops unrolled."""
    pools = []
    (create,) = readme_commands("az aks create")
    pools.append(
        (
            option(create, "--nodepool-name"),
            option(create, "--node-vm-size"),
            int(option(create, "--node-count")),
            create,
        )
    )
    text = README.read_text(encoding="utf-8")
    loop = re.search(r"for service in ([a-z ]+); do\n\s+az aks nodepool add", text)
    assert loop, "the README's loop over the services' pools"
    for command in readme_commands("az aks nodepool add"):
        name = option(command, "--name")
        names = loop.group(1).split() if name == "$service" else [name]
        for pool in names:
            size = option(command, "--node-vm-size")
            pools.append((pool, size, int(option(command, "--node-count")), command))
    return pools


@pytest.mark.parametrize("name", ALIASES)
def test_each_service_owns_a_pool(aks_render: list[Rendered], name: str) -> None:
    """All six side by side: each service, and Django and Flask in thread mode (their own
    images, WORKER_MODEL=threads), each on its pool with the same CPUs."""
    deployment = one(aks_render, "Deployment", f"{RELEASE}-{name}")
    spec = spec_of(aks_render, "Deployment", f"{RELEASE}-{name}")
    assert deployment.obj["spec"]["replicas"] == 1
    pool = AKS_POOLS[name]
    assert spec["nodeSelector"] == {"agentpool": pool, "topology.kubernetes.io/zone": ZONE}
    assert spec["tolerations"] == [toleration(name)]
    (container,) = spec["containers"]
    assert container["resources"]["limits"] == {"cpu": "6", "memory": "8Gi"}
    assert container["resources"]["requests"] == container["resources"]["limits"]
    env = env_map(container)
    assert env["WEB_CONCURRENCY"]["value"] == "6"
    model = env.get("WORKER_MODEL", {}).get("value")
    assert model == ("threads" if name in THREADS else None)
    image = image_of(name)
    assert container["image"] == f"{REGISTRY}/bench/{image}:{IMAGE_TAG}@{DIGESTS[image]}"


def test_mysql_owns_the_16_vcpu_pool(aks_render: list[Rendered]) -> None:
    statefulset = one(aks_render, "StatefulSet", f"{RELEASE}-mysql")
    spec = spec_of(aks_render, "StatefulSet", f"{RELEASE}-mysql")
    assert spec["nodeSelector"] == {"agentpool": "mysql", "topology.kubernetes.io/zone": ZONE}
    assert spec["tolerations"] == [toleration("mysql")]
    (container,) = spec["containers"]
    assert container["resources"]["limits"] == {"cpu": "14", "memory": "48Gi"}
    assert container["image"] == f"docker.io/library/mysql:8.4@{MYSQL_DIGEST}"
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
        ("Job", RUN_JOB),
        ("Job", f"{RELEASE}-seed"),
        ("Pod", f"{RELEASE}-test-comparison"),
    ):
        selector = spec_of(aks_render, kind, name)["nodeSelector"]
        assert selector == {"agentpool": "system", "topology.kubernetes.io/zone": ZONE}, name


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


# --- fairness ---------------------------------------------------------------------------------


def test_every_pod_runs_in_one_zone(aks_render: list[Rendered]) -> None:
    """Services, MySQL and the load generators one network distance apart: each pod requires
    a node of the zone, so a pool created elsewhere leaves it Pending, never measured."""
    found = workloads(aks_render)
    assert len(found) > 10
    for item, spec in found:
        assert (spec.get("nodeSelector") or {}).get("topology.kubernetes.io/zone") == ZONE, item


def test_every_pool_is_in_that_zone_with_the_static_cpu_manager() -> None:
    """The README creates every pool in zone 1 ($LOCATION-1, the zone the install pins) and
    with deploy/aks/kubelet-config.json, whose static CPU manager gives a Guaranteed pod with
    whole CPUs cores of its own."""
    pools = readme_pools()
    assert len(pools) == 11
    for pool, _, _, command in pools:
        assert option(command, "--zones") == "1", pool
        assert option(command, "--kubelet-config") == KUBELET_CONFIG, pool
    config = json.loads((REPO / KUBELET_CONFIG).read_text())
    assert config == {"cpuManagerPolicy": "static"}
    (install,) = [c for c in readme_commands("helm install") if "values-aks.yaml" in " ".join(c)]
    assert "global.zone=$LOCATION-1" in install


def test_the_pools_are_the_ones_the_values_use_and_the_cost_counts(
    aks_render: list[Rendered],
) -> None:
    pools = readme_pools()
    assert [(pool, size, nodes) for pool, size, nodes, _ in pools] == list(cost.POOLS)
    used = {
        (spec.get("nodeSelector") or {}).get("agentpool") for _, spec in workloads(aks_render)
    } - {None}
    assert used | set(LOAD_POOLS) == {pool for pool, *_ in pools}


@pytest.mark.parametrize("scenario", ["default", "aks"])
def test_the_services_have_one_budget(renders: dict[str, list[Rendered]], scenario: str) -> None:
    """Same replicas, CPU and memory, worker processes and pool settings for all of them."""
    budgets = set()
    for name in SCENARIO_SERVICES[scenario]:
        deployment = one(renders[scenario], "Deployment", f"{RELEASE}-{name}")
        (container,) = spec_of(renders[scenario], "Deployment", f"{RELEASE}-{name}")["containers"]
        env = env_map(container)
        settings = {
            key: env[key]["value"]
            for key in ("WEB_CONCURRENCY", "DB_POOL_SIZE", "DB_POOL_TIMEOUT", "DB_CONNECT_TIMEOUT",
                        "DB_QUERY_TIMEOUT", "ACCESS_LOG")
        }  # fmt: skip
        budgets.add(
            json.dumps(
                [deployment.obj["spec"]["replicas"], container["resources"], settings],
                sort_keys=True,
            )
        )
    assert len(budgets) == 1, budgets


def test_cores_of_their_own(aks_render: list[Rendered]) -> None:
    """Under the static CPU manager only a Guaranteed container with a whole number of CPUs
    gets exclusive cores: the services, MySQL and every worker have one."""
    exclusive = [f"{RELEASE}-{name}" for name in ALIASES]
    exclusive += [f"{RELEASE}-mysql", f"{RELEASE}-locust-worker"]
    for name in exclusive:
        (item,) = [i for i, _ in workloads(aks_render) if i.name == name]
        spec = pod_spec(item)
        assert spec is not None
        for _, container in containers(spec):
            limits, requests = container["resources"]["limits"], container["resources"]["requests"]
            cpu = quantity(limits["cpu"])
            assert cpu == cpu.to_integral_value(), f"{name}: {cpu} CPUs"
            assert cpu >= Decimal(1), f"{name}: {cpu} CPUs"
            assert requests == limits, name


def test_the_run_records_the_load_generators_cpu(aks_render: list[Rendered]) -> None:
    (container,) = spec_of(aks_render, "Job", RUN_JOB)["containers"]
    args = container["args"]
    assert "--meta=workers=60" in args
    assert "--meta=worker_cpu_limit=1" in args
    assert "--meta=master_cpu_limit=2" in args
    assert f"--meta=zone={ZONE}" in args
