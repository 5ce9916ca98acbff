"""One entry point for the project: `nox -l` lists the sessions, plain `nox` runs the checks.

https://nox.thea.codes/en/stable/usage.html
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv"
nox.options.download_python = "never"  # no interpreter downloads here: use the installed ones
nox.options.sessions = ["lint", "service", "loadtest", "helm", "contract", "perf_tests"]
nox.options.reuse_venv = "yes"

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
PYTHON = "3.12"  # the images' Python
# The kit's manifest names the services; the noxfile does not keep a second list.
SERVICES = list(tomllib.loads((ROOT / "contract/services.toml").read_text()))


def _expose_pyenv_python() -> None:
    """Let nox and uv find pyenv's 3.12 beside the default Python, without `pyenv shell`."""
    if not shutil.which("pyenv"):
        return
    # pyenv's own Python may have set PYENV_VERSION to itself by now.
    current = os.environ.get("PYENV_VERSION") or _pyenv("version-name")
    if any(version.startswith(PYTHON) for version in current.split(":")):
        return
    if latest := _pyenv("latest", PYTHON):
        os.environ["PYENV_VERSION"] = ":".join(v for v in (current, latest) if v)


def _pyenv(*args: str) -> str:
    result = subprocess.run(["pyenv", *args], capture_output=True, text=True, check=False)
    return result.stdout.strip()


_expose_pyenv_python()
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Ruff and mypy over the repository's own code (each service lints itself: `service`)."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session(python=PYTHON)
@nox.parametrize("name", SERVICES)
def service(session: nox.Session, name: str) -> None:
    """One service on its own: its pins, its lint settings, its test-client smoke tests."""
    folder = ROOT / "services" / name
    pyproject = nox.project.load_toml(folder / "pyproject.toml")
    session.install("--require-hashes", "-r", str(folder / "requirements.txt"))
    session.install(*nox.project.dependency_groups(pyproject, "lint", "test"))
    with session.chdir(folder):
        session.run("ruff", "check", ".")
        session.run("ruff", "format", "--check", ".")
        session.run("mypy", ".")
        session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHON)
def loadtest(session: nox.Session) -> None:
    """The load-test package: its lint, its Dockerfile, its tests (a real database)."""
    pyproject = nox.project.load_toml(ROOT / "loadtest/pyproject.toml")
    session.install("--require-hashes", "-r", "loadtest/requirements.txt")
    session.install("--no-deps", "-e", "./loadtest")
    session.install(*nox.project.dependency_groups(pyproject, "dev"))
    with session.chdir(ROOT / "loadtest"):
        session.run("ruff", "check", ".")
        session.run("ruff", "format", "--check", ".")
        session.run("mypy")
        session.run("hadolint", "Dockerfile")
        session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHON)
def helm(session: nox.Session) -> None:
    """The Helm charts offline: lint, render, validate, policy scan, and a dry run of the
    install on this machine (`-- -k "not dry_run"` leaves the dry run out)."""
    tests = nox.project.load_toml(ROOT / "deploy/helm/tests/pyproject.toml")
    # The dry run runs the rendered loadtest containers here, with the kit's database.
    session.install("--require-hashes", "-r", "loadtest/requirements.txt")
    session.install("--no-deps", "-e", "./loadtest")
    session.install(*nox.project.dependency_groups(PYPROJECT, "contract"))
    session.install(*nox.project.dependency_groups(tests, "lint"))
    # The tests import deploy/images.py and deploy/aks/cost.py: mypy checks them too.
    session.run("mypy", "--config-file", "deploy/helm/tests/pyproject.toml", "deploy/helm/tests")
    session.run("python", "-m", "pytest", "deploy/helm/tests", *session.posargs)


@nox.session(python=PYTHON)
def contract(session: nox.Session) -> None:
    """The HTTP contract against every service, as real servers on a real MySQL.

    `nox -s contract -- --service flask` tests one; DATABASE_URL picks the server.
    """
    session.install(*nox.project.dependency_groups(PYPROJECT, "contract"))
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHON, default=False)
def faults(session: nox.Session) -> None:
    """The fault and hostile-input tests at full size (a long run of minutes per service)."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "contract"))
    session.run(
        "python", "-m", "pytest", "--budget", "full",
        "contract/tests/test_faults.py", "contract/tests/test_hostile.py", *session.posargs,
    )  # fmt: skip


@nox.session(python=PYTHON, default=False)
def fuzz(session: nox.Session) -> None:
    """The property tests with a large hypothesis budget (the contract runs a short one)."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "contract"))
    session.run(
        "python", "-m", "pytest", "--hypothesis-profile", "fuzz",
        "contract/tests/test_properties.py", *session.posargs,
    )  # fmt: skip


@nox.session(python=PYTHON, default=False)
def up(session: nox.Session) -> None:
    """The four services on ports 8001-8004 against a seeded database, until Ctrl-C."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "contract"))
    session.run("python", "-m", "contract.up", *session.posargs)


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """The comparison: capacity at a p99 SLO per core, 3 rounds, report (`-- --quick`: 2 min).

    `-- --full` adds every latency and a pool sweep, `-- --publish` writes docs/bench/ and the
    README's answer; `-- --service flask --rows 100000` trims it; DATABASE_URL picks the server.
    """
    session.install("--require-hashes", "-r", "loadtest/requirements.txt")
    session.install("--no-deps", "-e", "./loadtest")  # editable: always the working tree's code
    session.install(*nox.project.dependency_groups(PYPROJECT, "contract"))  # the kit's needs
    # The glue imports the kit (contract/) from the repository root; the package never does.
    session.run("python", "loadtest/bench.py", *session.posargs, env={"PYTHONPATH": str(ROOT)})


@nox.session(python=PYTHON, default=False)
def perf(session: nox.Session) -> None:
    """The micro-benchmark with wrk: services, bare floors, the blog's apps (`-- --smoke`: CI).

    Writes results/perf-*.json, .md and -ladder.png (perf/README.md); DATABASE_URL picks the server.
    """
    # loadtest seeds the table, as for `bench`; its pins carry matplotlib for the ladder chart.
    session.install("--require-hashes", "-r", "loadtest/requirements.txt")
    session.install("--no-deps", "-e", "./loadtest")
    session.install(*nox.project.dependency_groups(PYPROJECT, "contract"))  # the kit's needs
    # On Ctrl-C the run stops its targets and its database and removes its logs: give it the
    # time (nox's default is 0.3 s before it kills the run and orphans them).
    session.run(
        "python", "-m", "perf.bench", *session.posargs,
        env={"PYTHONPATH": str(ROOT)}, interrupt_timeout=120, terminate_timeout=30,
    )  # fmt: skip


@nox.session(python=PYTHON)
def perf_tests(session: nox.Session) -> None:
    """perf's own tests: summary, targets, ladder, report from recorded numbers; the wrk script."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "perf"))
    session.run("python", "-m", "pytest", "perf/tests", *session.posargs)


if __name__ == "__main__":
    nox.main()
