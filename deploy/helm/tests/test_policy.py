"""Production defaults of every rendered pod, and the wiring between the subcharts.

Over every scenario (defaults, values-aks.yaml, each service's values alone, and the web UI
mode): requests equal limits (Guaranteed QoS), probes, non-root with a read-only root
filesystem and nothing more than the restricted Pod Security Standard allows, images pinned
by digest with the pull policy to match, credentials only through Secrets, no API token but
the run's; the NetworkPolicies allow exactly the connections the comparison makes; names and
ports line up across the subcharts.
"""

from __future__ import annotations

import configparser
import json
import re
from typing import Any
from urllib.parse import urlsplit

import helm_python as helm
import pytest
from chartlib import (
    CHART,
    IMAGE_TAG,
    MYSQL_DIGEST,
    REGISTRY,
    RELEASE,
    RUN,
    RUN_ID,
    RUN_JOB,
    SERVICES,
    Manifest,
    Rendered,
    containers,
    env_map,
    merge,
    one,
    pod_labels,
    pod_spec,
    quantity,
    render,
    secret_values,
    selector_matches,
    with_images,
    workloads,
)
from conftest import SCENARIO_SERVICES, SCENARIOS

UI = "locust-ui"
RUN_VALUES = RUN
# Each service's stack, as the report must name it (nox -s bench passes the same).
STACKS = {
    "django": "gevent", "django-threads": "threads", "flask": "gevent", "flask-threads": "threads",
    "fastapi": "asyncio", "starlette": "asyncio",
}  # fmt: skip
ALL_SCENARIOS = (*SCENARIOS, UI)
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet"}
# A credential's variable; NAME_FILE holds a path to one (in a mounted Secret), not the value.
CREDENTIAL_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|(^|_)KEY$")
FILE_VARIABLE = re.compile(r"_FILE$")


@pytest.fixture(scope="module")
def all_renders(renders: dict[str, list[Rendered]]) -> dict[str, list[Rendered]]:
    """The shared scenarios plus the umbrella in locust's web UI mode."""
    return {**renders, UI: render(CHART, with_images({"locust": {"mode": "ui"}}))}


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
        # Only the run reads the API (the services' CPU): test_the_run_alone_reads_the_api.
        if item.name != RUN_JOB:
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
    """The project's images from the registry, under their commit tag, each by its digest;
    MySQL's by the digest deploy/images.py read. Pinned, so the node never needs to ask."""
    for item, spec in pods(all_renders, scenario):
        for _, container in containers(spec):
            image = container["image"]
            name, _, digest = image.partition("@")
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), f"{item}: {image} has no digest"
            assert not name.endswith(":latest"), f"{item}: {image}"
            if name.startswith("docker.io/library/mysql:"):
                assert digest == MYSQL_DIGEST, f"{item}: {image}"
            else:
                assert re.fullmatch(rf"{REGISTRY}/bench/[a-z]+:{IMAGE_TAG}", name), image
            assert container["imagePullPolicy"] == "IfNotPresent", f"{item}: {image}"


def test_a_tag_alone_is_always_pulled() -> None:
    """Without digests (a tag can be pushed again), the node checks the registry each start."""
    items = render(values={"global": {"imageRegistry": REGISTRY, "imageTag": IMAGE_TAG}})
    policies = {
        container["imagePullPolicy"]
        for _, spec in workloads(items)
        for _, container in containers(spec)
    }
    assert policies == {"Always"}


@pytest.mark.parametrize(
    "values",
    [{}, {"global": {"imageRegistry": REGISTRY}}, {"global": {"imageTag": IMAGE_TAG}}],
    ids=["nothing", "no-tag", "no-registry"],
)
def test_no_install_without_the_images(values: dict[str, Any]) -> None:
    """Nothing of this project is published: without a registry and a tag the chart refuses,
    and says how to get them (instead of pods in ImagePullBackOff and a 30-minute wait)."""
    with pytest.raises(helm.HelmRenderError, match=r"python3 deploy/images\.py --registry"):
        render(values=values)


def test_pull_secrets_reach_every_pod() -> None:
    """global.imagePullSecrets: the way to pull without a role on the registry (README)."""
    items = render(values=with_images({"global": {"imagePullSecrets": [{"name": "acr-pull"}]}}))
    for item, spec in workloads(items):
        assert {"name": "acr-pull"} in (spec.get("imagePullSecrets") or []), item


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
            mounts = {m["mountPath"] for m in container.get("volumeMounts") or []}
            for entry in container.get("env") or []:
                name = entry["name"]
                if FILE_VARIABLE.search(name):
                    # A path into a mounted Secret volume (test_secret_files_are_mounted).
                    assert any(entry["value"].startswith(f"{m}/") for m in mounts), where
                elif CREDENTIAL_NAME.search(name):
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
        values=with_images(
            {
                "global": {"database": {"secretName": "my-mysql-passwords"}},
                "mysql": {"auth": {"existingSecret": "my-mysql-passwords"}},
            }
        )
    )
    assert not any(item.kind == "Secret" and item.name == f"{RELEASE}-mysql" for item in items)
    references = set()
    for _, spec in workloads(items):
        for volume in spec.get("volumes") or []:
            if "secret" in volume:
                references.add(volume["secret"]["secretName"])
        for _, container in containers(spec):
            for entry in container.get("env") or []:
                reference = (entry.get("valueFrom") or {}).get("secretKeyRef")
                if reference and "password" in reference["key"]:
                    references.add(reference["name"])
    assert references == {"my-mysql-passwords"}


def test_secret_files_are_mounted(default_render: list[Rendered]) -> None:
    """MySQL reads its passwords from files of the Secret's volume, not from variables."""
    spec = pod_spec(one(default_render, "StatefulSet", f"{RELEASE}-mysql"))
    assert spec is not None
    (container,) = spec["containers"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    # The data volume comes from volumeClaimTemplates.
    mounts = {m["mountPath"]: volumes.get(m["name"], {}) for m in container["volumeMounts"]}
    files = {e["name"]: e["value"] for e in container["env"] if e["name"].endswith("_FILE")}
    assert set(files) == {
        "MYSQL_ROOT_PASSWORD_FILE",
        "BENCH_SEED_PASSWORD_FILE",
        "BENCH_APP_PASSWORD_FILE",
    }
    secret = one(default_render, "Secret", f"{RELEASE}-mysql")
    for path in files.values():
        folder, _, key = path.rpartition("/")
        assert mounts[folder]["secret"]["secretName"] == secret.name, path
        assert key in secret.obj["data"], path
    script = one(default_render, "ConfigMap", f"{RELEASE}-mysql").obj["data"]["bench-users.sh"]
    assert '"$(cat "$BENCH_SEED_PASSWORD_FILE")"' in script


# --- network policy ---------------------------------------------------------------------------


def allowed(items: list[Rendered]) -> dict[str, set[tuple[str, str]]]:
    """For every pod, the (client pod, port) pairs the NetworkPolicies let in.

    Kubernetes' rule: a pod that some ingress policy selects accepts what the union of their
    rules allows, and nothing else (a pod no policy selects would accept anything: asserted
    absent).
    """
    policies = [item.obj["spec"] for item in items if item.kind == "NetworkPolicy"]
    pods = [(item.name, pod_labels(item)) for item, _ in workloads(items)]
    found: dict[str, set[tuple[str, str]]] = {}
    for server, labels in pods:
        selecting = [p for p in policies if selector_matches(p["podSelector"], labels)]
        assert selecting, f"{server}: no NetworkPolicy selects it, so anything reaches it"
        assert all(p["policyTypes"] == ["Ingress"] for p in selecting), server
        found[server] = {
            (client, str(port["port"]))
            for policy in selecting
            for rule in policy.get("ingress") or []
            for client, client_labels in pods
            if any(selector_matches(peer["podSelector"], client_labels) for peer in rule["from"])
            for port in rule["ports"]
        }
    return found


@pytest.mark.parametrize("scenario", ["default", "aks", UI])
def test_network_policies_allow_exactly_the_comparison(
    all_renders: dict[str, list[Rendered]], scenario: str
) -> None:
    """MySQL from the services and the seed job; the services from the load generator and
    the tests; the locust master from its workers (and, in ui mode, its test); nothing else."""
    items = all_renders[scenario]
    ui = scenario == UI
    names = SCENARIO_SERVICES.get(scenario, SERVICES)
    services = [f"{RELEASE}-{name}" for name in names]
    workers = f"{RELEASE}-locust-worker"
    master = f"{RELEASE}-locust-master" if ui else RUN_JOB
    tests = [f"{RELEASE}-{name}-test-connection" for name in names]
    tests.append(f"{RELEASE}-test-comparison")
    if ui:
        tests.append(f"{RELEASE}-locust-test-web-ui")
    load = [workers, master, *tests]
    expected: dict[str, set[tuple[str, str]]] = {
        f"{RELEASE}-mysql": {(client, "mysql") for client in [*services, f"{RELEASE}-seed"]},
        **{service: {(client, "http") for client in load} for service in services},
        master: {(workers, "master")} | ({(tests[-1], "web")} if ui else set()),
        workers: set(),
        f"{RELEASE}-seed": set(),
        **{test: set() for test in tests},
    }
    assert allowed(items) == expected


def test_a_pod_without_a_policy_is_found() -> None:
    """The matrix above fails when a pod falls outside every policy."""
    items = render(values=with_images(RUN_VALUES))
    without = [i for i in items if not (i.kind == "NetworkPolicy" and i.name.endswith("clients"))]
    with pytest.raises(AssertionError, match="no NetworkPolicy selects it"):
        allowed(without)


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
    assert urls == len(SCENARIO_SERVICES[scenario]) + 1  # the services and the seed job


@pytest.mark.parametrize("scenario", ["default", "aks"])
def test_the_run_measures_every_service(
    all_renders: dict[str, list[Rendered]], scenario: str
) -> None:
    """Targets, stacks and budgets come from the services' own values; the run is the master
    its workers find."""
    items = all_renders[scenario]
    run = one(items, "Job", RUN_JOB)
    (container,) = pod_spec(run)["containers"]  # type: ignore[index]
    args = container["args"]
    targets = [arg.removeprefix("--target=") for arg in args if arg.startswith("--target=")]
    assert [target.split("=")[0] for target in targets] == list(SCENARIO_SERVICES[scenario])
    for target in targets:
        name, url = target.split("=", 1)
        parts = urlsplit(url)
        assert parts.hostname == f"{RELEASE}-{name}"
        assert parts.port == _service_port(items, f"{RELEASE}-{name}")
        deployment = pod_spec(one(items, "Deployment", f"{RELEASE}-{name}"))
        (server,) = deployment["containers"]  # type: ignore[index]
        assert f"--meta=stack.{name}={STACKS[name]}" in args
        # Its CPU budget: every replica's CPU limit, in cores.
        replicas = one(items, "Deployment", f"{RELEASE}-{name}").obj["spec"]["replicas"]
        cores = replicas * quantity(server["resources"]["limits"]["cpu"])
        assert f"--cpu-allowance={name}={float(cores):g}" in args
        # The run's conditions, the same for all four (the chart refuses unequal services).
        env = env_map(server)
        for variable in ("WEB_CONCURRENCY", "DB_POOL_SIZE"):
            assert f"--label={variable.lower()}={env[variable]['value']}" in args
    workers = one(items, "Deployment", f"{RELEASE}-locust-worker")
    replicas = workers.obj["spec"]["replicas"]
    assert replicas > 0
    assert f"--expect-workers={replicas}" in args
    assert f"--meta=workers={replicas}" in args
    master_service = one(items, "Service", f"{RELEASE}-locust-master")
    assert selector_matches(
        {"matchLabels": master_service.obj["spec"]["selector"]}, pod_labels(run)
    )
    (worker,) = pod_spec(workers)["containers"]  # type: ignore[index]
    assert env_map(worker)["LOADTEST_MASTER_HOST"]["value"] == master_service.name
    (port,) = master_service.obj["spec"]["ports"]
    assert f"--master-bind-port={port['port']}" in args


def test_the_run_alone_reads_the_api(default_render: list[Rendered]) -> None:
    """Its ServiceAccount may get and list the pods' metrics in the namespace, no more (not
    even the pods); without serviceCpu, it has none and mounts no token."""
    spec = pod_spec(one(default_render, "Job", RUN_JOB))
    assert spec is not None
    assert spec["serviceAccountName"] == f"{RELEASE}-run"
    assert spec["automountServiceAccountToken"] is True
    role = one(default_render, "Role", f"{RELEASE}-run").obj
    assert role["rules"] == [
        {"apiGroups": ["metrics.k8s.io"], "resources": ["pods"], "verbs": ["get", "list"]},
    ]
    binding = one(default_render, "RoleBinding", f"{RELEASE}-run").obj
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": f"{RELEASE}-run",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": f"{RELEASE}-run", "namespace": RELEASE}
    ]
    items = render(
        values=with_images(merge(RUN_VALUES, {"locust": {"run": {"serviceCpu": False}}}))
    )
    assert not [item for item in items if item.kind in {"Role", "RoleBinding", "ServiceAccount"}
                and item.name == f"{RELEASE}-run"]  # fmt: skip
    spec = pod_spec(one(items, "Job", RUN_JOB))
    assert spec is not None
    assert spec["automountServiceAccountToken"] is False
    (container,) = spec["containers"]
    assert not [arg for arg in container["args"] if arg.startswith("--cpu-from=")]


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
        ({"django": {"database": {"user": "root"}}}, "django.database.user"),
        # Found by the dry run: a service kept port 3306 when MySQL's Service had another.
        ({"mysql": {"service": {"port": 3307}}}, "django.database.port (3306)"),
        ({"global": {"database": {"host": "elsewhere"}}}, "global.database.host"),
        ({"global": {"database": {"secretName": "mine"}}}, "global.database.secretName"),
        # A fair comparison: the same budget for every service, and a stack to label it.
        ({"flask": {"config": {"dbPoolSize": 20}}}, "django and flask differ"),
        ({"starlette": {"replicaCount": 2}}, "django and starlette differ"),
        (
            {"fastapi": {"resources": {"limits": {"cpu": "2"}, "requests": {"cpu": "2"}}}},
            "django and fastapi differ",
        ),
        ({"django": {"stack": ""}}, "django.stack is empty"),
        # A run deadline shorter than its waits and windows.
        (
            {"locust": {"run": {"id": RUN_ID, "activeDeadlineSeconds": 600}}},
            "locust.run.activeDeadlineSeconds is 600",
        ),
    ],
)
def test_inconsistent_values_are_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(helm.HelmRenderError, match=re.escape(message)):
        render(values=with_images(values))


def test_a_service_can_be_left_out() -> None:
    items = render(values=with_images(merge(RUN_VALUES, {"flask": {"enabled": False}})))
    names = {item.name for item in items if item.kind == "Deployment"}
    assert f"{RELEASE}-flask" not in names
    assert f"{RELEASE}-django" in names
    policies = [item for item in items if item.kind == "NetworkPolicy"]
    assert "flask" not in json.dumps([policy.obj for policy in policies])
    spec = pod_spec(one(items, "Job", RUN_JOB))
    assert spec is not None
    assert "flask" not in json.dumps(spec)
