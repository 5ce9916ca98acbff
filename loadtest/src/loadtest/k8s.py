"""A target's CPU from the Kubernetes metrics API, for a run whose targets are other pods.

``GET /apis/metrics.k8s.io/v1beta1/namespaces/NS/pods?labelSelector=SEL`` (metrics-server, or
any implementation of the resource metrics API:
https://kubernetes.io/docs/tasks/debug/debug-cluster/resource-metrics-pipeline/) answers, per pod,
each container's CPU ``usage`` as a rate averaged over ``window`` seconds ending at ``timestamp``.
A measuring window's CPU is the average of the samples whose own window lies inside it, summed
over the pods; with no such sample it is unknown (None), never a guess.

In a pod, the API server is ``https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT``, the
bearer token and the CA are the service account's
(https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/). ``LOADTEST_K8S_API``,
``LOADTEST_K8S_TOKEN_FILE`` and ``LOADTEST_K8S_CA_FILE`` override them. Plain ``urllib``: under
locust's gevent patching its sockets are cooperative, so polling never stalls the load.
"""

from __future__ import annotations

import json
import logging
import os
import re
import ssl
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
PREFIX = "k8s:"
TIMEOUT = 10.0  # seconds per request: a slow API server costs one sample, not the run
POLL = 5.0  # seconds between two reads of the metrics API while a target is measured
log = logging.getLogger("loadtest")
# Kubernetes quantities as the metrics API writes CPU: "250m", "1", "123456789n", "1.5".
_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(n|u|m|k|M|G)?$")
_SCALE = {None: 1.0, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9}


class MetricsError(RuntimeError):
    """The metrics API cannot give a target's CPU (no access, no such pods, no metrics)."""


def cpu_cores(quantity: str) -> float:
    """A Kubernetes CPU quantity in cores."""
    match = _QUANTITY.match(quantity.strip())
    if not match:
        raise ValueError(f"not a CPU quantity: {quantity!r}")
    return float(match[1]) * _SCALE[match[2]]


def duration_seconds(text: str) -> float:
    """A Go duration as the metrics API writes windows: "15s", "1m0s", "20.047s", "500ms"."""
    total = 0.0
    for value, unit in re.findall(r"([0-9.]+)(ms|s|m|h)", text):
        total += float(value) * {"ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}[unit]
    if not total and text.strip() not in {"0", "0s"}:
        raise ValueError(f"not a duration: {text!r}")
    return total


@dataclass(frozen=True)
class PodSelector:
    """``k8s:NAMESPACE/LABEL-SELECTOR``: which pods are one target."""

    namespace: str
    selector: str

    @classmethod
    def parse(cls, source: str) -> PodSelector:
        namespace, _, selector = source.removeprefix(PREFIX).partition("/")
        if not source.startswith(PREFIX) or not namespace or not selector:
            raise ValueError(f"expected k8s:NAMESPACE/LABEL-SELECTOR, got {source!r}")
        return cls(namespace, selector)

    def __str__(self) -> str:
        return f"{PREFIX}{self.namespace}/{self.selector}"


@dataclass(frozen=True)
class PodCpu:
    """One pod's CPU rate over the metrics' window ending at ``end`` (Unix seconds)."""

    pod: str
    end: float
    window: float
    cores: float

    @property
    def start(self) -> float:
        return self.end - self.window


class MetricsClient:
    """Reads pod CPU from the metrics API with a bearer token."""

    def __init__(
        self,
        api: str | None = None,
        token_file: Path | None = None,
        ca_file: Path | None = None,
    ) -> None:
        self.api = (api or os.environ.get("LOADTEST_K8S_API") or _in_cluster_api()).rstrip("/")
        self.token_file = token_file or Path(
            os.environ.get("LOADTEST_K8S_TOKEN_FILE", SERVICE_ACCOUNT / "token")
        )
        ca = ca_file or Path(os.environ.get("LOADTEST_K8S_CA_FILE", SERVICE_ACCOUNT / "ca.crt"))
        self._context = ssl.create_default_context(cafile=str(ca)) if ca.is_file() else None

    def pods(self, selector: PodSelector) -> list[PodCpu]:
        """The current sample of every pod the selector matches."""
        query = urllib.parse.urlencode({"labelSelector": selector.selector})
        namespace = urllib.parse.quote(selector.namespace, safe="")
        url = f"{self.api}/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods?{query}"
        # Read each time: Kubernetes rotates projected service-account tokens.
        token = self.token_file.read_text().strip()
        request = urllib.request.Request(
            url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=TIMEOUT, context=self._context) as response:
            document = json.load(response)
        return [
            PodCpu(
                pod=item["metadata"]["name"],
                end=_timestamp(item["timestamp"]),
                window=duration_seconds(item["window"]),
                cores=sum(cpu_cores(c["usage"]["cpu"]) for c in item.get("containers", [])),
            )
            for item in document.get("items", [])
        ]


def _in_cluster_api() -> str:
    host = os.environ.get("KUBERNETES_SERVICE_HOST")
    if not host:
        raise ValueError(
            "--cpu-from k8s: needs the in-cluster API (KUBERNETES_SERVICE_HOST) or LOADTEST_K8S_API"
        )
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    return f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"


def _timestamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def window_cpu_seconds(samples: list[PodCpu], start: float, end: float) -> float | None:
    """CPU seconds the pods used in [start, end] (Unix seconds), from the samples inside it.

    Every pod seen in the window needs a sample of its own inside it, else the total would be
    missing that pod's share: then the answer is None.
    """
    slack = 1.0  # seconds: the node's clock and ours
    pods = {s.pod for s in samples if s.end >= start and s.start <= end}
    inside: dict[str, list[float]] = {}
    for sample in samples:
        if sample.start >= start - slack and sample.end <= end + slack:
            inside.setdefault(sample.pod, []).append(sample.cores)
    if not pods or set(inside) != pods:
        return None
    return sum(sum(cores) / len(cores) for cores in inside.values()) * (end - start)


class PodMeter:
    """A window's CPU seconds of pods: the metrics API's samples, polled (every ``POLL``
    seconds, in a thread: a greenlet under locust) while the target is measured."""

    def __init__(self, selector: PodSelector, client: MetricsClient) -> None:
        self.selector, self.client = selector, client
        self.samples: dict[tuple[str, float], PodCpu] = {}
        self.opened = 0.0
        self.poll(fail=True)  # a wrong selector or missing RBAC stops the run here, not later
        self.stopped = threading.Event()
        threading.Thread(target=self._poll_until_stopped, daemon=True).start()

    def poll(self, *, fail: bool = False) -> None:
        try:
            pods = self.client.pods(self.selector)
        except (OSError, ValueError, KeyError) as error:
            if fail:
                raise MetricsError(
                    f"cannot read pod metrics for {self.selector}: {error}"
                ) from error
            log.warning("pod metrics for %s: %s", self.selector, error)
            return
        if fail and not pods:
            raise MetricsError(f"{self.selector} matches no pod with metrics")
        self.samples.update({(pod.pod, pod.end): pod for pod in pods})

    def _poll_until_stopped(self) -> None:
        while not self.stopped.wait(POLL):
            self.poll()

    def begin(self) -> None:
        self.opened = time.time()

    def end(self) -> float | None:
        self.poll()
        return window_cpu_seconds(list(self.samples.values()), self.opened, time.time())

    def __enter__(self) -> PodMeter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopped.set()
