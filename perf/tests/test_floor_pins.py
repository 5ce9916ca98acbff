"""The floors run the services' server and drivers at the services' versions, hashed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([a-z0-9][a-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)
# Each floor folder and the services whose stack it is the floor of.
FLOORS = {"wsgi": ("django", "flask"), "asgi": ("fastapi", "starlette")}


def pins(requirements: Path) -> dict[str, str]:
    return {name: version for name, version in PIN.findall(requirements.read_text())}


@pytest.mark.parametrize(("floor", "services"), FLOORS.items())
def test_shared_packages_at_the_services_versions(floor: str, services: tuple[str, ...]) -> None:
    ours = pins(ROOT / "perf/floors" / floor / "requirements.txt")
    for service in services:
        theirs = pins(ROOT / "services" / service / "requirements.txt")
        differ = {
            name: (ours[name], theirs[name])
            for name in ours.keys() & theirs.keys()
            if ours[name] != theirs[name]
        }
        assert not differ, (
            f"perf/floors/{floor} and services/{service} pin different versions (floor, "
            f"service): {differ}; set the floor's pyproject.toml to the service's and recompile"
        )


@pytest.mark.parametrize("floor", FLOORS)
def test_every_pin_is_hashed(floor: str) -> None:
    text = (ROOT / "perf/floors" / floor / "requirements.txt").read_text()
    assert "uv pip compile pyproject.toml --python-version 3.12 --generate-hashes" in text
    for block in re.split(r"\n(?=[a-z])", text.split("\n", 2)[2]):
        assert "--hash=sha256:" in block, block
