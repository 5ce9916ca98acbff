"""checkov's policy scan over the rendered manifests: every finding fixed, or suppressed with
its reason.

checkov (PyPI) runs from its own environment, built by uv from the hashed pins of
checkov-requirements.txt (its pins conflict with pytest's), offline (--skip-download). Each
scenario's render goes to a folder, one file per template, and is scanned with the chart's
deploy/helm/.checkov.yaml. Suppressions live next to what they excuse: an annotation on the
object (`checkov.io/skipN: CHECK=reason`), or, for a check that does not apply to the project
at all, an entry of .checkov.yaml with its reason as a comment.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from chartlib import (
    CHART,
    IMAGE_TAG,
    REGISTRY,
    REPO,
    RUN,
    Rendered,
    merge,
    render_files,
    with_images,
)
from conftest import AKS, SCENARIOS
from uv import find_uv_bin

HERE = Path(__file__).parent
REQUIREMENTS = HERE / "checkov-requirements.txt"
CONFIG = CHART / ".checkov.yaml"
VENVS = Path(os.environ.get("CONTRACT_VENVS", REPO / ".venvs"))
SKIP_ANNOTATION = re.compile(r"^checkov\.io/skip\d+$")
# What checkov scans: the umbrella's renders (a subchart alone renders a subset of them).
UMBRELLA = {
    "default": with_images(RUN),
    "aks": with_images(merge(AKS, RUN)),
    "locust-ui": with_images({"locust": {"mode": "ui"}}),
}


def checkov() -> Path:
    """checkov in a virtualenv of its own, from the hashed pins, cached by their hash."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    venv = VENVS / f"checkov-{digest}"
    VENVS.mkdir(parents=True, exist_ok=True)
    with open(VENVS / ".checkov.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / ".complete").exists():
            uv = find_uv_bin()
            env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
            for command in (
                # The interpreter of this suite (3.12, as the images).
                [uv, "venv", "--quiet", "--clear", "--python", sys.executable, str(venv)],
                [uv, "pip", "sync", "--quiet", "--require-hashes",
                 "--python", str(venv / "bin" / "python"), str(REQUIREMENTS)],
            ):  # fmt: skip
                result = subprocess.run(
                    command, env=env, capture_output=True, text=True, check=False
                )
                assert result.returncode == 0, result.stdout + result.stderr
            (venv / ".complete").touch()
    return venv / "bin" / "checkov"


def write_render(values: dict[str, Any], folder: Path) -> int:
    """The render as files, one per template (NOTES.txt and empty ones left out); objects."""
    count = 0
    for template, text in render_files(CHART, values).items():
        if template.endswith("NOTES.txt"):
            continue
        documents = [d for d in yaml.safe_load_all(text) if d]
        if not documents:
            continue
        (folder / template.replace("/", "__")).write_text(text, encoding="utf-8")
        count += len(documents)
    return count


def scan(folder: Path) -> dict[str, Any]:
    result = subprocess.run(
        [str(checkov()), "--directory", str(folder), "--config-file", str(CONFIG),
         "--output", "json"],
        capture_output=True, text=True, check=False, timeout=600,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE"},
    )  # fmt: skip
    assert result.stdout.strip(), f"checkov printed nothing:\n{result.stderr[-3000:]}"
    report = json.loads(result.stdout)
    # One report per framework; the config asks for kubernetes alone.
    (found,) = report if isinstance(report, list) else [report]
    assert found["check_type"] == "kubernetes", found["check_type"]
    return dict(found)


@pytest.mark.parametrize("scenario", UMBRELLA)
def test_no_finding_without_a_reason(scenario: str, tmp_path: Path) -> None:
    objects = write_render(UMBRELLA[scenario], tmp_path)
    report = scan(tmp_path)
    summary = report["summary"]
    # It looked at every object and ran its checks: an empty scan cannot pass.
    assert summary["parsing_errors"] == 0, summary
    assert summary["resource_count"] >= objects > 20, (summary, objects)
    assert summary["passed"] > 20 * objects, summary
    failed = [
        f"{check['check_id']} {check['check_name']}: {check['resource']} ({check['file_path']})"
        for check in report["results"]["failed_checks"]
    ]
    assert not failed, "\n".join(failed)
    for check in report["results"]["skipped_checks"]:
        assert len(check["check_result"].get("suppress_comment", "")) >= 30, check


def test_a_finding_fails_the_scan(tmp_path: Path) -> None:
    """The scan is not vacuous: a pod with a mutable image and no digest is reported."""
    write_render(
        merge(RUN, {"global": {"imageRegistry": REGISTRY, "imageTag": IMAGE_TAG}}), tmp_path
    )
    failed = {check["check_id"] for check in scan(tmp_path)["results"]["failed_checks"]}
    assert "CKV_K8S_43" in failed  # "Image should use digest"


def inline_suppressions(items: list[Rendered]) -> dict[str, str]:
    found = {}
    for item in items:
        for key, value in (item.obj["metadata"].get("annotations") or {}).items():
            if SKIP_ANNOTATION.match(key):
                found[f"{item}: {key}"] = str(value)
    return found


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_inline_suppression_gives_its_reason(
    renders: dict[str, list[Rendered]], scenario: str
) -> None:
    suppressions = inline_suppressions(renders[scenario])
    assert suppressions, "the charts' suppressions are annotations on the objects"
    for where, value in suppressions.items():
        check, _, reason = value.partition("=")
        assert re.fullmatch(r"CKV2?_K8S_\d+", check), where
        assert len(reason.split()) >= 8, f"{where}: no reason given"


def test_every_configured_suppression_gives_its_reason() -> None:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    assert config["framework"] == ["kubernetes"]
    assert config["skip-download"] is True
    lines = CONFIG.read_text(encoding="utf-8").splitlines()
    for check in config.get("skip-check") or []:
        (line,) = [line for line in lines if re.match(rf"\s*-\s*{check}\b", line)]
        _, _, reason = line.partition("#")
        assert len(reason.split()) >= 8, f"{check}: no reason given in {CONFIG.name}"
