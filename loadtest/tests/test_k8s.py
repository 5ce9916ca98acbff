"""Pod CPU from the Kubernetes metrics API, against a fake API server on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest
from fake_http import JsonHandler, QuietServer, serving

from loadtest.k8s import (
    MetricsClient,
    PodCpu,
    PodSelector,
    cpu_cores,
    duration_seconds,
    window_cpu_seconds,
)
from loadtest.results import RunResults

if TYPE_CHECKING:
    from collections.abc import Iterator

    from conftest import CLI, Service

TOKEN = "a-service-account-token"
NAMESPACE = "bench"
SELECTOR = "app.kubernetes.io/instance=bench-svc"


class FakeApi(QuietServer):
    """``/apis/metrics.k8s.io/v1beta1/namespaces/NS/pods``: one pod's sample, stamped now and
    covering ``window`` seconds, for requests with the token; 403 otherwise."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FakeApiHandler)
        self.window = "1s"
        self.cpu = "250m"
        self.requests: list[tuple[str, dict[str, list[str]], str | None]] = []


class FakeApiHandler(JsonHandler):
    server: FakeApi

    def do_GET(self) -> None:  # http.server's naming
        parts = urlsplit(self.path)
        auth = self.headers.get("Authorization")
        self.server.requests.append((parts.path, parse_qs(parts.query), auth))
        if auth != f"Bearer {TOKEN}":
            self.answer(403, {"kind": "Status", "reason": "Forbidden"})
            return
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        item = {
            "metadata": {"name": "bench-svc-7d9f", "namespace": NAMESPACE},
            "timestamp": now,
            "window": self.server.window,
            "containers": [
                {"name": "svc", "usage": {"cpu": self.server.cpu, "memory": "50Mi"}},
                {"name": "sidecar", "usage": {"cpu": "0", "memory": "5Mi"}},
            ],
        }
        self.answer(200, {"kind": "PodMetricsList", "items": [item]})


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with serving(FakeApi()) as server:
        yield server


@pytest.fixture
def token(tmp_path: Path) -> Path:
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    return path


def test_quantities_and_windows() -> None:
    assert cpu_cores("250m") == 0.25
    assert cpu_cores("123456789n") == pytest.approx(0.123456789)
    assert cpu_cores("1500u") == pytest.approx(0.0015)
    assert cpu_cores("2") == 2.0
    assert cpu_cores("1.5") == 1.5
    with pytest.raises(ValueError, match="CPU quantity"):
        cpu_cores("lots")
    assert duration_seconds("15s") == 15
    assert duration_seconds("1m0s") == 60
    assert duration_seconds("20.047s") == pytest.approx(20.047)
    assert duration_seconds("500ms") == 0.5
    with pytest.raises(ValueError, match="duration"):
        duration_seconds("soon")


def test_selectors() -> None:
    selector = PodSelector.parse(f"k8s:{NAMESPACE}/{SELECTOR}")
    assert (selector.namespace, selector.selector) == (NAMESPACE, SELECTOR)
    assert str(selector) == f"k8s:{NAMESPACE}/{SELECTOR}"
    for wrong in ("bench/app=x", "k8s:bench", "k8s:/app=x", "k8s:bench/"):
        with pytest.raises(ValueError, match="k8s:NAMESPACE/LABEL-SELECTOR"):
            PodSelector.parse(wrong)


def test_the_client_reads_pod_cpu_with_the_token(api: FakeApi, token: Path) -> None:
    client = MetricsClient(api=api.url, token_file=token)
    (pod,) = client.pods(PodSelector(NAMESPACE, SELECTOR))
    assert pod.pod == "bench-svc-7d9f"
    assert pod.cores == 0.25  # both containers, summed
    assert pod.window == 1.0
    path, query, auth = api.requests[-1]
    assert path == f"/apis/metrics.k8s.io/v1beta1/namespaces/{NAMESPACE}/pods"
    assert query == {"labelSelector": [SELECTOR]}
    assert auth == f"Bearer {TOKEN}"


def test_a_window_averages_the_samples_inside_it_over_every_pod() -> None:
    def sample(pod: str, end: float, cores: float) -> PodCpu:
        return PodCpu(pod, end=end, window=10, cores=cores)

    samples = [
        sample("a", 110, 1.0),  # 100-110: inside 100-130
        sample("a", 120, 2.0),
        sample("b", 125, 0.5),
        sample("a", 150, 9.0),  # after the window: ignored
    ]
    assert window_cpu_seconds(samples, 100, 130) == pytest.approx((1.5 + 0.5) * 30)
    # Pod b seen in the window but without a sample inside it: unknown, not an undercount.
    assert window_cpu_seconds([*samples[:2], sample("b", 135, 0.5)], 100, 130) is None
    assert window_cpu_seconds(samples, 200, 230) is None  # nothing at all


def test_the_runner_records_pod_cpu_for_each_window(
    cli: CLI, service: Service, api: FakeApi, token: Path, tmp_path: Path
) -> None:
    env = {"LOADTEST_K8S_API": api.url, "LOADTEST_K8S_TOKEN_FILE": str(token)}
    source = f"k8s:{NAMESPACE}/{SELECTOR}"
    result = cli(
        "run", "--target", f"svc={service.url}", "--cpu-from", f"svc={source}",
        "--scenario", "idle", "--repeats", "1", "--rate", "50", "--rate", "100",
        "--window", "1.5", "--settle", "0.2", "--out", str(tmp_path), env=env,
    )  # fmt: skip
    results = RunResults.read(Path(result.stdout.strip().splitlines()[-1]))
    assert results.targets[0].cpu_source == source
    for step in results.searches[0].steps:
        # The fake says 0.25 cores, sampled over its last second: inside every 1.5 s window.
        assert step.service_cpu_s == pytest.approx(0.25 * step.window_s, rel=0.05)


def test_the_run_stops_at_once_when_the_metrics_cannot_be_read(
    cli: CLI, service: Service, api: FakeApi, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong-token"
    wrong.write_text("not-the-token")
    env = {"LOADTEST_K8S_API": api.url, "LOADTEST_K8S_TOKEN_FILE": str(wrong)}
    result = cli(
        "run", "--target", f"svc={service.url}", "--cpu-from", f"svc=k8s:{NAMESPACE}/{SELECTOR}",
        "--scenario", "idle", "--repeats", "1", "--rate", "50", "--window", "0.5",
        "--out", str(tmp_path), env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert "cannot read pod metrics" in result.stderr
    assert "403" in result.stderr
    assert not list(tmp_path.glob("loadtest-*.json"))
