"""Render and inspect the charts offline with Helm's own engine (helm-python-sdk).

Traps of the SDK that this module works around (deploy/helm's issue lists them):

- ``Chart.render()`` mutates the loaded chart, so every render loads the chart afresh;
- ``render()`` silently drops dependencies that are not unpacked under ``charts/`` (ours are
  directories there; ``test_render.py`` checks that every subchart rendered something);
- ``Chart.validate_schema()`` is not alias-aware, while ``render()`` validates every chart's
  values.schema.json the way ``helm install`` does: schema tests go through ``render()``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import helm_python as helm
import kubernetes_validate
import yaml

from deploy import images as image_script

REPO = Path(__file__).resolve().parents[3]
CHART = REPO / "deploy" / "helm"
SUBCHARTS = {name: CHART / "charts" / name for name in ("service", "mysql", "locust")}
SERVICES_DIR = REPO / "services"
SERVICES = ("django", "flask", "fastapi", "starlette")
# The umbrella's aliases of charts/service, in report order (Chart.yaml): each service, and Django
# and Flask again in thread mode, from their own images (off by default, on in values-aks.yaml).
THREADS = {"django-threads": "django", "flask-threads": "flask"}
ALIASES = ("django", "django-threads", "flask", "flask-threads", "fastapi", "starlette")
# Each alias's AKS pool (values-aks.yaml): its name, without the hyphen, cut to AKS's 12 characters.
AKS_POOLS = {alias: alias.replace("-", "")[:12] for alias in ALIASES}
AKS_VALUES = CHART / "values-aks.yaml"
RELEASE = "bench"
NAMESPACE = "bench"
# The oldest Kubernetes the charts declare (kubeVersion: >=1.30.0-0) and the newest bundled.
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.utils.latest_version())
# What deploy/images.py writes after a push (made-up digests, its own writer): every render
# but the ones that test the refusal gets it, as the README's install does.
REGISTRY = "benchacr.azurecr.io"
IMAGE_TAG = "0123456789ab"
DIGESTS = {
    name: "sha256:" + hashlib.sha256(name.encode()).hexdigest() for name in image_script.IMAGES
}
MYSQL_DIGEST = "sha256:" + hashlib.sha256(b"mysql").hexdigest()
IMAGE_VALUES: dict[str, Any] = helm.values_from_yaml(
    image_script.values_yaml(
        [
            image_script.Built(name, f"{REGISTRY}/bench/{name}:{IMAGE_TAG}", digest)
            for name, digest in DIGESTS.items()
        ],
        REGISTRY,
        IMAGE_TAG,
        (None, MYSQL_DIGEST),
    )
)
# A run, as `--set locust.run.id=...` asks for one; and the zone the AKS walk-through uses.
RUN_ID = "test-1"
RUN_JOB = f"{RELEASE}-run-{RUN_ID}"
RUN = {"locust": {"run": {"id": RUN_ID}}}
ZONE = "westeurope-1"

Manifest = dict[str, Any]
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


@dataclass(frozen=True)
class Rendered:
    """One object of a render and the template it came from."""

    template: str
    obj: Manifest

    @property
    def kind(self) -> str:
        return str(self.obj["kind"])

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])

    @property
    def hook(self) -> str | None:
        annotations = self.obj["metadata"].get("annotations") or {}
        hook = annotations.get("helm.sh/hook")
        return None if hook is None else str(hook)

    def __str__(self) -> str:
        return f"{self.kind}/{self.name} ({self.template})"


def load_values(path: Path) -> dict[str, Any]:
    """A values file parsed by Helm's own YAML reader (numbers and booleans as Helm sees them)."""
    return helm.values_from_yaml(path.read_text(encoding="utf-8"))


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``helm -f base -f override``: maps merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def render_files(
    chart: Path = CHART,
    values: Mapping[str, Any] | None = None,
    *,
    release: str = RELEASE,
    namespace: str = NAMESPACE,
) -> dict[str, str]:
    """Template path to rendered text, as ``helm install --dry-run`` would produce it."""
    # A fresh load per render: render() mutates the loaded chart.
    with helm.Chart.load(chart) as loaded:
        return loaded.render(
            dict(values or {}), name=release, namespace=namespace, revision=1, is_install=True
        )


def objects(files: Mapping[str, str]) -> list[Rendered]:
    """Every Kubernetes object of a render (NOTES.txt and empty documents left out)."""
    found = []
    for template, text in sorted(files.items()):
        if template.endswith("NOTES.txt"):
            continue
        for document in yaml.safe_load_all(text):
            if document:
                found.append(Rendered(template, document))
    return found


def render(
    chart: Path = CHART,
    values: Mapping[str, Any] | None = None,
    *,
    release: str = RELEASE,
    namespace: str = NAMESPACE,
) -> list[Rendered]:
    """The objects of one render; an empty render is an error, never a vacuous pass."""
    found = objects(render_files(chart, values, release=release, namespace=namespace))
    assert found, f"{chart.name} rendered no object with {values}"
    return found


def with_images(values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Values with the images deploy/images.py pushed (for the umbrella chart)."""
    return merge(IMAGE_VALUES, values or {})


def subchart_images(values: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The same for a subchart alone: only the globals apply there."""
    return merge({"global": IMAGE_VALUES["global"]}, values or {})


def validate(obj: Manifest, version: str) -> None:
    """Validate against the bundled schemas of ``version``, strict: unknown fields are errors.

    The library turns an unknown kind or apiVersion into SchemaNotFoundError (its CLI only
    warns): here that is a failure like any other.
    """
    kubernetes_validate.validate(obj, version, strict=True)


# --- pods and containers -------------------------------------------------------------------


def quantity(value: Any) -> Decimal:
    """A Kubernetes quantity ("500m", "2Gi", 6) as a number."""
    text = str(value)
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if text.endswith(suffix):
            return Decimal(text.removesuffix(suffix)) * SUFFIXES[suffix]
    return Decimal(text)


def pod_spec(item: Rendered) -> Manifest | None:
    """The pod spec of a workload (Deployment, StatefulSet, Job) or of a Pod."""
    spec = item.obj.get("spec") or {}
    if item.kind == "Pod":
        return spec
    if item.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}:
        template: Manifest = spec["template"]
        pod: Manifest = template["spec"]
        return pod
    if item.kind == "CronJob":
        cron: Manifest = spec["jobTemplate"]["spec"]["template"]["spec"]
        return cron
    return None


def pod_labels(item: Rendered) -> dict[str, str]:
    """The labels of the pods a workload makes (or of a Pod)."""
    if item.kind == "Pod":
        return dict(item.obj["metadata"].get("labels") or {})
    return dict(item.obj["spec"]["template"]["metadata"].get("labels") or {})


def containers(spec: Manifest) -> Iterator[tuple[str, Manifest]]:
    """("init"|"main", container) for every container of a pod spec."""
    for container in spec.get("initContainers") or []:
        yield "init", container
    for container in spec.get("containers") or []:
        yield "main", container


def workloads(items: list[Rendered]) -> list[tuple[Rendered, Manifest]]:
    """Every object that makes pods, with its pod spec."""
    return [(item, spec) for item in items if (spec := pod_spec(item)) is not None]


def one(items: list[Rendered], kind: str, name: str) -> Rendered:
    """The object of that kind and name."""
    matches = [item for item in items if item.kind == kind and item.name == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} in {[str(i) for i in items]}"
    return matches[0]


def env_map(container: Manifest) -> dict[str, Manifest]:
    """A container's env entries by name."""
    return {entry["name"]: entry for entry in container.get("env") or []}


def secret_values(items: list[Rendered]) -> dict[str, str]:
    """Every value stored in a rendered Secret, decoded: "Secret/name:key" to value."""
    found = {}
    for item in items:
        if item.kind != "Secret":
            continue
        for key, value in (item.obj.get("data") or {}).items():
            found[f"{item.name}:{key}"] = base64.b64decode(value).decode()
        for key, value in (item.obj.get("stringData") or {}).items():
            found[f"{item.name}:{key}"] = str(value)
    return found


def label_selector(text: str) -> Manifest:
    """A label selector as the API's ``labelSelector`` parameter spells it (``a=b,c!=d,e,!f``)
    as a LabelSelector. Set-based terms (``in``, ``notin``) are refused: nothing here writes
    them. https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
    """
    match_labels: dict[str, str] = {}
    expressions: list[Manifest] = []
    for term in (part.strip() for part in text.split(",")):
        if not term or "(" in term or " " in term:
            raise ValueError(f"unsupported label selector term {term!r} in {text!r}")
        key, equals, value = term.partition("!=")
        if equals:
            expressions.append({"key": key, "operator": "NotIn", "values": [value]})
            continue
        key, equals, value = term.partition("=")
        if equals:
            match_labels[key] = value.removeprefix("=")  # "==" is "=" too
        elif term.startswith("!"):
            expressions.append({"key": term[1:], "operator": "DoesNotExist"})
        else:
            expressions.append({"key": term, "operator": "Exists"})
    return {"matchLabels": match_labels, "matchExpressions": expressions}


def selector_matches(selector: Manifest, labels: Mapping[str, str]) -> bool:
    """Whether a LabelSelector (matchLabels and matchExpressions) selects these labels."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def image_of(alias: str) -> str:
    """The service (and image) an alias runs: a thread-mode alias runs its service's image."""
    return THREADS.get(alias, alias)


def enabled_services(values: Mapping[str, Any]) -> tuple[str, ...]:
    """The aliases a render with ``values`` holds: the four services, and the thread-mode ones
    where enabled (values-aks.yaml)."""
    return tuple(
        alias for alias in ALIASES if (values.get(alias) or {}).get("enabled", alias not in THREADS)
    )
