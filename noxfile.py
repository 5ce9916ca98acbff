"""One entry point for the project: `nox -l` lists the sessions, plain `nox` runs the checks.

https://nox.thea.codes/en/stable/usage.html
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv"
nox.options.download_python = "never"  # no interpreter downloads here: use the installed ones
nox.options.sessions = ["lint", "contract"]
nox.options.reuse_venv = "yes"

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
PYTHON = "3.12"  # the images' Python


def _expose_pyenv_python() -> None:
    """Let nox and uv find pyenv's 3.12 without a global `pyenv shell`."""
    if "PYENV_VERSION" in os.environ or not shutil.which("pyenv"):
        return
    latest = subprocess.run(
        ["pyenv", "latest", PYTHON], capture_output=True, text=True, check=False
    ).stdout.strip()
    current = subprocess.run(
        ["pyenv", "version-name"], capture_output=True, text=True, check=False
    ).stdout.strip()
    if latest:
        os.environ["PYENV_VERSION"] = ":".join(v for v in (current, latest) if v)


_expose_pyenv_python()
os.environ.setdefault("UV_PYTHON_DOWNLOADS", "never")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Ruff and mypy over the kit and the noxfile; each service with its own settings."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    # Each service is checked with its own settings, against its own pinned environment.
    for service in sorted(path for path in (ROOT / "services").iterdir() if path.is_dir()):
        venv = session.run("python", "-m", "contract.services", "venv", service.name, silent=True)
        with session.chdir(service):
            session.run("ruff", "check", ".")
            session.run("ruff", "format", "--check", ".")
            session.run("mypy", "--python-executable", f"{str(venv).strip()}/bin/python", ".")


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
    """The comparison: seed, load each service in turn, write the report (`-- --quick`: ~1 min).

    `nox -s bench -- --rows 100000 --service flask`; DATABASE_URL picks the server.
    """
    session.install("--require-hashes", "-r", "loadtest/requirements.txt")
    session.install("--no-deps", "-e", "./loadtest")  # editable: always the working tree's code
    session.install(*nox.project.dependency_groups(PYPROJECT, "contract"))  # the kit's needs
    # The glue imports the kit (contract/) from the repository root; the package never does.
    session.run("python", "loadtest/bench.py", *session.posargs, env={"PYTHONPATH": str(ROOT)})


if __name__ == "__main__":
    nox.main()
