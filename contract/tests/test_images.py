"""Static checks of each service's image recipe and pins (no Docker engine needed)."""

from __future__ import annotations

import re

from contract.process import dockerfile_command
from contract.services import ServiceSpec
from contract.tests.conftest import Deployer

PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==[^\s\\]+")


def _spec(deployer: Deployer, name: str) -> ServiceSpec:
    return deployer.specs[name]


def test_dockerfile_is_multi_stage_slim_non_root(deployer: Deployer, service_name: str) -> None:
    text = (_spec(deployer, service_name).path / "Dockerfile").read_text()
    stages = re.findall(r"(?im)^FROM\s+(\S+)", text)
    assert len(stages) >= 2, "a builder stage and a runtime stage"
    assert all(image.startswith("python:3.12-slim") for image in stages), stages
    users = re.findall(r"(?im)^USER\s+(\S+)", text)
    assert users, "the runtime stage must drop root"
    assert users[-1] not in {"root", "0", "0:0"}
    assert "--require-hashes" in text
    assert dockerfile_command(_spec(deployer, service_name).path / "Dockerfile")


def test_every_requirement_is_pinned_with_hashes(deployer: Deployer, service_name: str) -> None:
    blocks: list[list[str]] = []  # a requirement line and its indented continuation lines
    for line in (_spec(deployer, service_name).path / "requirements.txt").read_text().splitlines():
        if line[:1].isalnum():
            blocks.append([line])
        elif blocks and line.startswith(" "):
            blocks[-1].append(line)
    assert blocks
    for first, *rest in blocks:
        assert PIN.match(first), f"not pinned: {first}"
        assert any("--hash=sha256:" in line for line in [first, *rest]), f"no hash: {first}"
