"""The chart's install, run on one machine: each rendered container as a local process.

Rendering proves what the manifests say; this proves that what they say works together: the
arguments and environment names each program reads, the ports, the accounts, the seed and the
grant, the services reading the seeded table, the run's master and its workers finding each
other, and the report at the end. In install order, against the contract kit's throw-away
database (contract/database.py) in MySQL's place:

1. MySQL's first start: the rendered init script (bench-users.sh) creates the two accounts, as
   the official image's entrypoint would run it;
2. the seed hook's containers in order (wait for MySQL, seed, grant);
3. the four services (each in its pinned environment, contract/services.py, by its Dockerfile
   CMD, since the chart gives none);
4. the workers Deployment's replicas, then the run Job's containers (wait for the services,
   then the master: the capacity runner, short windows), which end their log with the report.

What stands in for the cluster: the cluster's DNS (every rendered Service's name, in a command,
an argument or a variable, becomes 127.0.0.1; so every Service port is rendered equal to its
container's port, each on a free port here); volumes (each mount path becomes a folder of this
run, a Secret volume holding the Secret's keys as files); images (a project image's Dockerfile
ENV and its environment: the service's pinned venv, or this interpreter's, which has loadtest
installed; MySQL's image: this machine's mysql client tools); the metrics API (metrics_api.py:
it authenticates the token mounted for a pod's ServiceAccount, authorises by the rendered Roles,
selects the started pods by their rendered labels and reports the CPU of the processes standing
in for them; a pod that mounts its token gets one, with LOADTEST_K8S_API and
LOADTEST_K8S_TOKEN_FILE where the kubelet would give the API's address and the token file). The
one dialect difference is MariaDB's: it spells an account's plugin differently, so on MariaDB
the init script's `IDENTIFIED WITH mysql_native_password BY` is sent as `IDENTIFIED BY`,
MariaDB's default plugin being that one. Scheduling, probes, volumes' kinds and NetworkPolicy
stay with the render tests.

    python deploy/helm/tests/dryrun.py      # prints the run's log; DATABASE_URL picks the server
"""

from __future__ import annotations

import base64
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chartlib import (
    CHART,
    REPO,
    RUN_ID,
    RUN_JOB,
    SERVICES,
    Manifest,
    Rendered,
    containers,
    one,
    pod_labels,
    pod_spec,
    render,
    with_images,
)
from metrics_api import INTERVAL as METRICS_INTERVAL
from metrics_api import MetricsApi

from contract.database import Database, provide_database
from contract.process import dockerfile_env, free_port, stop_group, tail
from contract.services import discover, ensure_environment

ROWS = 2000
STOP_S = 15.0  # a container's SIGTERM before SIGKILL
# The capacity runner with short windows, one round and two rate steps per search: the wiring
# is under test here, not the figures.
RUN_OPTIONS: dict[str, Any] = {
    "scenario": ["demo", "demo-hit", "idle"],
    "repeats": 1,
    "window": 1,
    "settle": 0.25,
    "warmup": 0.5,
    "probe-users": 8,
    "max-steps": 2,
    "hit-names": 500,
    "expect-workers-max-wait": 60,
}
WORKERS = 2
# Seconds the run may take here (the chart checks that it covers the options above).
RUN_DEADLINE = 600
COMPONENT = "app.kubernetes.io/component"
VARIABLE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)|\$\$")


class DryRunError(RuntimeError):
    """A container failed, or did not finish in time."""


def dry_run_values(database: Database, ports: Mapping[str, int], master_port: int) -> Manifest:
    """The chart's values for this machine: the kit's database and its accounts, free ports,
    a tiny dataset and short windows; the images as deploy/images.py writes them; a run."""
    suffix = secrets.token_hex(3)
    seed_user, app_user = f"seed_{suffix}", f"app_{suffix}"
    services = {
        name: {
            "containerPort": port,
            "service": {"port": port},
            "database": {
                "name": database.name,
                "user": app_user,
                "port": database.server.port,
            },
        }
        for name, port in ports.items()
    }
    return with_images(
        {
            **services,
            "mysql": {
                "auth": {"database": database.name, "seedUser": seed_user, "appUser": app_user},
                "service": {"port": database.server.port},
            },
            "seed": {"rows": ROWS},
            "locust": {
                "masterPort": master_port,
                "workers": {"replicas": WORKERS},
                "run": {
                    "id": RUN_ID,
                    "options": RUN_OPTIONS,
                    "waitTimeoutSeconds": 120,
                    "activeDeadlineSeconds": RUN_DEADLINE,
                    # The stand-in's, for the chart's check that a window holds a sample.
                    "metricsResolutionSeconds": METRICS_INTERVAL,
                },
            },
        }
    )


@dataclass
class Cluster:
    """What the rendered objects need from a cluster, here: names, data, folders."""

    items: list[Rendered]
    root: Path
    namespace: str
    api: MetricsApi
    hosts: set[str] = field(default_factory=set)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.hosts = {item.name for item in self.items if item.kind == "Service"}

    def data(self, kind: str, name: str) -> dict[str, str]:
        obj = one(self.items, kind, name).obj
        if kind == "Secret":
            return {k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()}
        return {k: str(v) for k, v in (obj.get("data") or {}).items()}

    def localise(self, text: str, mounts: Mapping[str, Path]) -> str:
        """The cluster's DNS and the pod's volumes, for this machine."""
        for host in sorted(self.hosts, key=len, reverse=True):
            text = re.sub(rf"(?<![\w.-]){re.escape(host)}(?![\w-])", "127.0.0.1", text)
        if mounts:
            # One pass: a folder of this run may itself lie under a mount path (/tmp).
            paths = "|".join(re.escape(path) for path in sorted(mounts, key=len, reverse=True))
            pattern = rf"(?<![\w.-])({paths})(?=/|\b|$)"
            text = re.sub(pattern, lambda match: str(mounts[match.group(1)]), text)
        return text

    def volumes(self, pod: str, spec: Manifest) -> dict[str, Path]:
        """Each volume of a pod as a folder (a claim's folder is shared by name)."""
        found = {}
        for volume in spec.get("volumes") or []:
            if "persistentVolumeClaim" in volume:
                folder = self.root / "claims" / volume["persistentVolumeClaim"]["claimName"]
            else:
                folder = self.root / "pods" / pod / volume["name"]
            folder.mkdir(parents=True, exist_ok=True)
            if "secret" in volume:
                for key, value in self.data("Secret", volume["secret"]["secretName"]).items():
                    (folder / key).write_text(value)
            if "configMap" in volume:
                for key, value in self.data("ConfigMap", volume["configMap"]["name"]).items():
                    (folder / key).write_text(value)
            found[volume["name"]] = folder
        return found

    def environment(self, container: Manifest, image_env: Mapping[str, str]) -> dict[str, str]:
        """envFrom, then env in order with $(VAR) expansion, as the kubelet builds them."""
        env = dict(image_env)
        for source in container.get("envFrom") or []:
            env.update(self.data("ConfigMap", source["configMapRef"]["name"]))
        for entry in container.get("env") or []:
            if "value" in entry:
                value = expand(entry["value"], env)
            else:
                reference = entry["valueFrom"]
                if "secretKeyRef" in reference:
                    ref = reference["secretKeyRef"]
                    value = self.data("Secret", ref["name"])[ref["key"]]
                elif "configMapKeyRef" in reference:
                    ref = reference["configMapKeyRef"]
                    value = self.data("ConfigMap", ref["name"])[ref["key"]]
                else:
                    assert reference["fieldRef"]["fieldPath"] == "metadata.namespace", reference
                    value = self.namespace
            env[entry["name"]] = value
        return env

    def service_account(self, pod: str, spec: Manifest) -> dict[str, str]:
        """What the kubelet gives a pod that mounts its ServiceAccount's token (the pod's
        automountServiceAccountToken, else its ServiceAccount's, else true): here a token of the
        metrics API stand-in and its address, in the variables the reader takes them from."""
        account = spec.get("serviceAccountName", "default")
        mount = spec.get("automountServiceAccountToken")
        if mount is None:
            found = [i for i in self.items if i.kind == "ServiceAccount" and i.name == account]
            mount = found[0].obj.get("automountServiceAccountToken", True) if found else True
        if not mount:
            return {}
        token = self.root / "pods" / pod / "serviceaccount" / "token"
        token.parent.mkdir(parents=True, exist_ok=True)
        token.write_text(self.api.token_for(self.namespace, account))
        return {"LOADTEST_K8S_API": self.api.url, "LOADTEST_K8S_TOKEN_FILE": str(token)}

    def start(
        self, pod: str, labels: Mapping[str, str], spec: Manifest, container: Manifest, log: Path
    ) -> subprocess.Popen[bytes]:
        """One container of pod `pod` as a process of its own group (the metrics API sees it
        under the pod's labels); its output to `log`."""
        folders = self.volumes(pod, spec)
        mounts = {m["mountPath"]: folders[m["name"]] for m in container.get("volumeMounts") or []}
        image = Image.of(container["image"])
        kubelet = self.service_account(pod, spec)  # paths of this machine already
        env = self.environment(container, {**image.env, **kubelet})
        command = [expand(part, env) for part in container.get("command") or []]
        args = [expand(part, env) for part in container.get("args") or []]
        argv = (command + args) if command else (image.cmd + args)
        argv = [self.localise(part, mounts) for part in argv]
        local = {
            name: value if kubelet.get(name) == value else self.localise(value, mounts)
            for name, value in env.items()
        }
        local["PATH"] = os.pathsep.join([*image.path, os.environ.get("PATH", "")])
        cwd = mounts.get(image.workdir, image.cwd)
        with open(log, "ab") as out:
            out.write(f"$ {shlex.join(argv)}\n".encode())
            out.flush()
            process = subprocess.Popen(
                argv, cwd=cwd, env=local, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.processes.append(process)
        self.api.add(pod, self.namespace, labels, container["name"], process.pid)
        return process

    def run_pod(self, item: Rendered, deadline: float) -> str:
        """A Job's pod: init containers, then its one container, each to exit 0; its log."""
        spec = pod_spec(item)
        assert spec is not None
        log = self.root / f"{item.name}.log"
        for _, container in containers(spec):
            process = self.start(item.name, pod_labels(item), spec, container, log)
            try:
                code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                stop_group(process, STOP_S)
                code = None
            if code != 0:
                raise DryRunError(
                    f"{item} container {container['name']} ended with {code}:\n{tail(log, 60)}"
                )
        return log.read_text(errors="replace")

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            stop_group(process, STOP_S)


@dataclass(frozen=True)
class Image:
    """What a rendered image gives a process here: its CMD, ENV, PATH and working folder."""

    cmd: list[str]
    env: dict[str, str]
    path: list[str]
    cwd: Path
    workdir: str

    @classmethod
    def of(cls, reference: str) -> Image:
        repository = reference.partition("@")[0].rpartition(":")[0]
        if repository.endswith("/library/mysql"):
            # The official image's client tools: this machine's.
            return cls([], {}, [], REPO, "/")
        name = repository.rpartition("/bench/")[2]
        if name in SERVICES:
            (spec,) = discover([name])
            venv = ensure_environment(spec)
            env = dockerfile_env(spec.path / "Dockerfile")
            return cls(list(spec.command), env, [str(venv / "bin")], spec.path, "/app")
        assert name == "loadtest", reference
        env = dockerfile_env(REPO / "loadtest" / "Dockerfile")
        return cls([], env, [str(Path(sys.executable).parent)], REPO, "/tmp")


def expand(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes' $(VAR) expansion: defined names replaced, $$ escaped, anything else kept."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))

    return VARIABLE.sub(replace, text)


def mysql_first_start(cluster: Cluster, database: Database) -> None:
    """The official image's first start, as far as the chart's part goes: it runs the rendered
    bench-users.sh with its docker_process_sql (root, over TCP to the kit's server here)."""
    statefulset = next(i for i in cluster.items if i.kind == "StatefulSet")
    spec = pod_spec(statefulset)
    assert spec is not None
    (container,) = spec["containers"]
    folders = cluster.volumes(statefulset.name, spec)
    # The data volume (a claim template) is the kit's server's own.
    mounts = {m["mountPath"]: folders[m["name"]] for m in container["volumeMounts"]
              if m["name"] in folders}  # fmt: skip
    script = (mounts["/docker-entrypoint-initdb.d"] / "bench-users.sh").read_text()
    if "mariadb" in str(database.execute("SELECT VERSION()")[0][0]).lower():
        script = script.replace("IDENTIFIED WITH mysql_native_password BY", "IDENTIFIED BY")
    server = database.server
    login = shlex.join(["mysql", "--protocol=tcp", f"--host={server.host}",
                        f"--port={server.port}", f"--user={server.user}"])  # fmt: skip
    entrypoint = (
        f'docker_process_sql() {{ MYSQL_PWD="$ROOT_PASSWORD" {login} "$@"; }}\n'
        'mysql_note() { echo "mysql: $*"; }\n'
        f"{script}"
    )
    env = {
        **{k: cluster.localise(v, mounts) for k, v in cluster.environment(container, {}).items()},
        "ROOT_PASSWORD": server.password,
        "PATH": os.environ.get("PATH", ""),
    }
    result = subprocess.run(
        ["bash", "-euc", entrypoint], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise DryRunError(f"bench-users.sh failed:\n{result.stdout}{result.stderr}")


@contextmanager
def installed(database: Database, root: Path) -> Iterator[Cluster]:
    """Render, then MySQL's first start, the seed hook and the services, in install order."""
    ports = {name: free_port() for name in SERVICES}
    items = render(CHART, dry_run_values(database, ports, free_port()))
    namespace = str(next(i for i in items if i.kind == "Service").obj["metadata"]["namespace"])
    users: list[str] = []
    with MetricsApi(items).serving() as api:
        cluster = Cluster(items, root, namespace, api)
        try:
            mysql_first_start(cluster, database)
            auth = one(items, "ConfigMap", next(i.name for i in items if i.kind == "StatefulSet"))
            users = re.findall(r"CREATE USER '(\w+)'", auth.obj["data"]["bench-users.sh"])
            seed = one(items, "Job", next(i.name for i in items if i.name.endswith("-seed")))
            cluster.run_pod(seed, time.monotonic() + seed.obj["spec"]["activeDeadlineSeconds"])
            for item in items:
                spec = pod_spec(item)
                labels = pod_labels(item) if spec else {}
                if spec and item.kind == "Deployment" and labels.get(COMPONENT) == "web":
                    (container,) = spec["containers"]
                    cluster.start(item.name, labels, spec, container, root / f"{item.name}.log")
            yield cluster
        finally:
            cluster.stop_all()
            for user in users:
                database.execute(f"DROP USER IF EXISTS '{user}'@'%'")


def run(cluster: Cluster) -> str:
    """The workers' replicas, then the run Job's pod; its log (the report at its end)."""
    workers = next(i for i in cluster.items if i.kind == "Deployment" and i.name.endswith("worker"))
    spec = pod_spec(workers)
    assert spec is not None
    (container,) = spec["containers"]
    for replica in range(workers.obj["spec"]["replicas"]):
        pod = f"{workers.name}-{replica}"
        cluster.start(pod, pod_labels(workers), spec, container, cluster.root / "workers.log")
    job = one(cluster.items, "Job", RUN_JOB)
    return cluster.run_pod(job, time.monotonic() + job.obj["spec"]["activeDeadlineSeconds"])


def main() -> int:
    with ExitStack() as stack:
        database = stack.enter_context(provide_database(prefix="helm"))
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="helm-dry-run-")))
        with installed(database, root) as cluster:
            print(run(cluster))
            print(f"results: {sorted((root / 'claims').rglob('*.json'))}", file=sys.stderr)
            shutil.copytree(root / "claims", Path("results") / "helm-dry-run", dirs_exist_ok=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(main())
