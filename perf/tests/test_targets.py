"""What runs: each blog app in an environment of its own; each service beside its driver's floor."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

import pytest

from perf.bench.targets import BLOG, build_targets

PIN = re.compile(r"^([a-z0-9][a-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)
# The imported name where it is not the distribution's.
DISTRIBUTION = {"MySQLdb": "mysqlclient"}
TARGETS = {target.name: target for target in build_targets()}
BLOG_APPS = [name for name, target in TARGETS.items() if target.role.kind == "blog"]


def pins(requirements: Path) -> dict[str, str]:
    return dict(PIN.findall(requirements.read_text()))


def imported(path: Path) -> set[str]:
    """Top-level names a file imports, the standard library's and relative imports left out."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names)


@pytest.mark.parametrize("name", BLOG_APPS)
def test_each_blog_app_has_a_hashed_environment_of_its_own(name: str) -> None:
    spec = TARGETS[name].spec
    assert spec.path.parent == BLOG
    assert spec.requirements == spec.path / "requirements.txt"
    text = spec.requirements.read_text()
    assert "uv pip compile pyproject.toml --python-version 3.12" in text
    assert "--generate-hashes" in text
    for block in re.split(r"\n(?=[a-z])", text.split("\n", 2)[2]):
        assert "--hash=sha256:" in block, block
    # Never a service's or a floor's pins, and its venv named for itself.
    others = {t.spec.requirements for n, t in TARGETS.items() if n != name}
    assert spec.requirements not in others
    assert spec.folder == name


@pytest.mark.parametrize("name", BLOG_APPS)
def test_each_blog_env_pins_what_its_app_imports_and_its_pyproject_names(name: str) -> None:
    spec = TARGETS[name].spec
    locked = pins(spec.requirements)
    own = {path.name for path in spec.path.iterdir()}  # the app's own packages and modules
    code = [*spec.path.rglob("*.py")]
    if spec.command[0] == "gunicorn":
        code.append(BLOG / "gunicorn.conf.py")
    needed = {
        DISTRIBUTION.get(module, module).lower()
        for path in code
        for module in imported(path)
        if module not in own and f"{module}.py" not in own
    }
    needed.add(spec.command[0])  # the server
    assert needed - locked.keys() == set()
    project = tomllib.loads((spec.path / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        package, version = re.sub(r"\[.*\]", "", requirement).split("==")
        assert locked[package] == version, requirement


@pytest.mark.parametrize(
    "name", [name for name, target in TARGETS.items() if target.role.kind == "service"]
)
def test_a_services_floor_runs_its_stack_and_driver(name: str) -> None:
    # The ladder's driver rung is the floor's /demo less its /idle: it must be the same driver.
    role = TARGETS[name].role
    assert role.floor is not None
    floor = TARGETS[role.floor].role
    assert (floor.kind, floor.stack, floor.driver) == ("floor", role.stack, role.driver)


def test_fastapi_on_asyncmy_and_sqlalchemy() -> None:
    role = TARGETS["fastapi"].role
    assert (role.driver, role.library, role.floor) == (
        "asyncmy",
        "SQLAlchemy (asyncio)",
        "floor-asyncio-asyncmy",
    )
