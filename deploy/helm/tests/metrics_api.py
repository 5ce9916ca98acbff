"""A stand-in for the cluster's resource metrics API, for the dry run (dryrun.py).

In a cluster the run's ``--cpu-from NAME=k8s:NAMESPACE/SELECTOR`` reads
``GET /apis/metrics.k8s.io/v1beta1/namespaces/NAMESPACE/pods?labelSelector=SELECTOR`` from the
API server with its pod's ServiceAccount token (loadtest's k8s.py). This server answers that
request as the API server would for the rendered objects, so that the dry run proves the part
of the wiring a render cannot: it authenticates the token the dry run mounted for a pod's
ServiceAccount (401 otherwise), authorises the request by the rendered RoleBindings and Roles
(403 unless one grants ``list`` on ``pods`` in ``metrics.k8s.io`` in that namespace), selects
the pods the dry run started by their rendered labels, and reports each one's CPU, as
metrics-server does: a rate over its last interval, ending at ``timestamp``. What differs is the
source and the resolution: the CPU time of the local processes that stand in for the pod
(psutil, through loadtest's cpu.py) rather than the kubelet's cgroup counters, every half
second rather than every 15 s, to fit the dry run's short windows.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chartlib import Manifest, Rendered, label_selector, selector_matches
from loadtest.cpu import ProcessKey, cpu_delta, tree_cpu

PODS = re.compile(r"/apis/metrics\.k8s\.io/v1beta1/namespaces/([^/]+)/pods")  # the list
INTERVAL = 0.5  # seconds between two samples of a pod's CPU


@dataclass
class Pod:
    """A pod the dry run started: its labels and each container's process."""

    name: str
    namespace: str
    labels: dict[str, str]
    containers: dict[str, int] = field(default_factory=dict)  # name: pid


@dataclass(frozen=True)
class Sample:
    """A pod's CPU rate over ``window`` seconds ending at ``end`` (Unix seconds)."""

    end: float
    window: float
    cores: dict[str, float]  # per container


def allows(
    items: list[Rendered],
    namespace: str,
    account: str,
    *,
    verb: str,
    group: str,
    resource: str,
) -> bool:
    """Whether the rendered RoleBindings give ServiceAccount ``account`` of ``namespace`` a
    Role there with a rule for ``verb`` on ``group``/``resource`` (RBAC's own semantics:
    rules add up, "*" matches anything). https://kubernetes.io/docs/reference/access-authn-authz/rbac/
    """

    def in_namespace(kind: str) -> Iterator[Manifest]:
        for item in items:
            if item.kind == kind and item.obj["metadata"].get("namespace") == namespace:
                yield item.obj

    roles = {role["metadata"]["name"]: role for role in in_namespace("Role")}
    for binding in in_namespace("RoleBinding"):
        bound = any(
            subject.get("kind") == "ServiceAccount"
            and subject.get("name") == account
            and subject.get("namespace", namespace) == namespace
            for subject in binding.get("subjects") or []
        )
        reference = binding["roleRef"]
        if not bound or reference["kind"] != "Role" or reference["name"] not in roles:
            continue
        for rule in roles[reference["name"]].get("rules") or []:
            wanted = (("apiGroups", group), ("resources", resource), ("verbs", verb))
            if all(value in rule.get(key, []) or "*" in rule.get(key, []) for key, value in wanted):
                return True
    return False


class MetricsApi:
    """The metrics API of the rendered objects ``items``, over the pods added to it."""

    def __init__(self, items: list[Rendered], interval: float = INTERVAL) -> None:
        self.items = items
        self.interval = interval
        self.pods: dict[str, Pod] = {}
        self.tokens: dict[str, tuple[str, str]] = {}  # token: (namespace, ServiceAccount)
        # What it answered: selector to the pods it listed, and every refusal.
        self.answered: dict[str, set[str]] = {}
        self.refused: list[str] = []
        self._samples: dict[str, Sample] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def token_for(self, namespace: str, account: str) -> str:
        """A new token of that ServiceAccount, as the kubelet mounts one in its pods."""
        token = secrets.token_urlsafe(24)
        self.tokens[token] = (namespace, account)
        return token

    def add(
        self, pod: str, namespace: str, labels: Mapping[str, str], container: str, pid: int
    ) -> None:
        """A container of a pod, by its process."""
        with self._lock:
            found = self.pods.setdefault(pod, Pod(pod, namespace, dict(labels)))
            found.containers[container] = pid

    def answer(self, path: str, authorization: str) -> tuple[int, Manifest]:
        """The API server's answer to GET ``path`` with that Authorization header."""
        parts = urllib.parse.urlsplit(path)
        caller = self.tokens.get(authorization.removeprefix("Bearer ").strip())
        if caller is None:
            return self._refuse(401, "Unauthorized", f"no such token ({path})")
        found = PODS.fullmatch(parts.path)
        if found is None:
            return self._refuse(404, "NotFound", f"no {parts.path} here")
        namespace = found.group(1)
        caller_namespace, account = caller
        if not allows(
            self.items, namespace, account, verb="list", group="metrics.k8s.io", resource="pods"
        ):
            user = f"system:serviceaccount:{caller_namespace}:{account}"
            return self._refuse(
                403,
                "Forbidden",
                f'pods.metrics.k8s.io is forbidden: User "{user}" cannot list resource "pods" '
                f'in API group "metrics.k8s.io" in the namespace "{namespace}"',
            )
        query = urllib.parse.parse_qs(parts.query)
        text = query.get("labelSelector", [""])[0]
        try:
            selector = label_selector(text) if text else {}
        except ValueError as error:
            return self._refuse(400, "BadRequest", str(error))
        with self._lock:
            pods = [p for p in self.pods.values() if p.namespace == namespace]
            samples = dict(self._samples)
        listed = [
            _pod_metrics(pod, samples[pod.name])
            for pod in pods
            if selector_matches(selector, pod.labels) and pod.name in samples
        ]
        self.answered.setdefault(text, set()).update(m["metadata"]["name"] for m in listed)
        return 200, {
            "kind": "PodMetricsList",
            "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {},
            "items": listed,
        }

    def _refuse(self, code: int, reason: str, message: str) -> tuple[int, Manifest]:
        self.refused.append(f"{code} {message}")
        status = {"kind": "Status", "apiVersion": "v1", "status": "Failure"}
        return code, {**status, "message": message, "reason": reason, "code": code}

    def _sample_forever(self) -> None:
        before: dict[str, tuple[float, dict[str, dict[ProcessKey, float]]]] = {}
        while not self._stop.wait(self.interval):
            with self._lock:
                pods = {name: dict(pod.containers) for name, pod in self.pods.items()}
            now = time.time()
            for name, containers in pods.items():
                after = {container: tree_cpu([pid]) for container, pid in containers.items()}
                if name in before:
                    start, earlier = before[name]
                    cores = {
                        container: cpu_delta(earlier.get(container, {}), times) / (now - start)
                        for container, times in after.items()
                        if times  # a container whose process is gone has no metrics
                    }
                    if cores:
                        with self._lock:
                            self._samples[name] = Sample(now, now - start, cores)
                before[name] = (now, after)

    @contextmanager
    def serving(self) -> Iterator[MetricsApi]:
        """Serve and sample until the block ends."""
        threads = [
            threading.Thread(target=self._server.serve_forever, daemon=True),
            threading.Thread(target=self._sample_forever, daemon=True),
        ]
        for thread in threads:
            thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._server.shutdown()
            self._server.server_close()
            for thread in threads:
                thread.join(timeout=10)


def _pod_metrics(pod: Pod, sample: Sample) -> Manifest:
    """One PodMetrics object, as metrics-server writes it."""
    stamp = datetime.fromtimestamp(sample.end, UTC).isoformat().replace("+00:00", "Z")
    return {
        "metadata": {"name": pod.name, "namespace": pod.namespace, "labels": pod.labels},
        "timestamp": stamp,
        "window": f"{sample.window:.3f}s",
        "containers": [
            {"name": name, "usage": {"cpu": f"{round(cores * 1e9)}n", "memory": "0Ki"}}
            for name, cores in sample.cores.items()
        ],
    }


def _handler(api: MetricsApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            code, body = api.answer(self.path, self.headers.get("Authorization", ""))
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the run's own log says what it read

    return Handler
