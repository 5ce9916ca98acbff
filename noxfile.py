"""One entry point for the project: `nox -l` lists the sessions, plain `nox` runs the checks.

https://nox.thea.codes/en/stable/usage.html
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import tempfile
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import nox
from nox.virtualenv import find_uv

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv"
nox.options.download_python = "never"  # no interpreter downloads here: use the installed ones
nox.options.sessions = ["lint", "service", "loadtest", "helm", "contract", "perf_tests"]
nox.options.reuse_venv = "yes"

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
PYTHON = "3.12"  # the images' Python
# The kit's manifest names the targets, each a service folder in one model (`service`, else
# the target's own name); the noxfile keeps no second list of the folders.
SERVICES = list(
    dict.fromkeys(
        str(target.get("service", name))
        for name, target in tomllib.loads((ROOT / "contract/services.toml").read_text()).items()
    )
)
# The one list of system packages (README, "Set-up"; .ci/run calls it too).
SYSTEM_PACKAGES = "scripts/install-system-packages"


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


# --- what the sessions need from the machine ---------------------------------------------------


def _client_headers() -> str | None:
    """mysqlclient's build (django, flask) finds the client library through pkg-config."""
    if not shutil.which("cc"):
        return "no C compiler (cc): mysqlclient and greenify compile when a service env is built"
    if not shutil.which("pkg-config"):
        return "no pkg-config: mysqlclient's build finds the MariaDB/MySQL client library with it"
    names = ("mysqlclient", "mariadb")  # the names mysqlclient's setup asks pkg-config for
    if not any(_succeeds("pkg-config", "--exists", name) for name in names):
        return "pkg-config finds neither mysqlclient nor mariadb (the client library's headers)"
    return None


def _database_server() -> str | None:
    """The kit starts a throw-away server from the local binaries unless DATABASE_URL is set."""
    if os.environ.get("DATABASE_URL"):
        return None
    # Where contract/mysqld.py looks: Debian keeps the server outside a normal user's PATH.
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
    if any(shutil.which(name, path=search) for name in ("mariadbd", "mysqld")):
        return None
    return "no mariadbd or mysqld binary for the kit's throw-away database, and no DATABASE_URL"


def _wrk() -> str | None:
    return None if shutil.which("wrk") else "no wrk (the load generator of bench and perf)"


def _succeeds(*command: str) -> bool:
    return subprocess.run(command, capture_output=True, check=False).returncode == 0


HEADERS, SERVER, WRK = _client_headers, _database_server, _wrk


def require(session: nox.Session, *needs: Callable[[], str | None]) -> None:
    """Stop at once, naming the packages, when the machine lacks what the session needs.

    Called first in a session, before anything is installed: a missing header then costs a
    second, not a failed compile minutes in. ``needs``: HEADERS, SERVER, WRK.
    """
    missing = [problem for need in needs if (problem := need())]
    if missing:
        packages = subprocess.run(
            ["bash", str(ROOT / SYSTEM_PACKAGES), "--list"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        session.error(
            "this machine lacks what the session needs:\n"
            + "".join(f"  - {problem}\n" for problem in missing)
            + f"Install them with `{SYSTEM_PACKAGES}` (apt-get, through sudo unless root): "
            + packages
        )


# --- helpers shared by the sessions ------------------------------------------------------------


def pytest_without_skips(
    session: nox.Session, *args: str, env: dict[str, str] | None = None
) -> None:
    """``python -m pytest -ra ARGS``, failing the session if any test was skipped.

    Under nox every test runs: a skip would be a claim left unproven (``-ra`` names it). An
    expected failure (a service's known issue, strict) is not a skip.
    """
    with tempfile.TemporaryDirectory(prefix="nox-junit-") as tmp:
        report = Path(tmp) / "junit.xml"
        session.run("python", "-m", "pytest", "-ra", f"--junitxml={report}", *args, env=env)
        skipped = [
            f"{case.get('classname')}::{case.get('name')}: {reason.get('message')}"
            for case in ET.parse(report).iter("testcase")
            for reason in case.iter("skipped")
            if reason.get("type") != "pytest.xfail"  # JUnit's word for an expected failure
        ]
    if skipped:
        session.error("skipped under nox:\n  " + "\n  ".join(skipped))


@contextmanager
def scratch(session: nox.Session, *args: str) -> Iterator[dict[str, str]]:
    """The tests' environment (``TEST_DATABASE_URL``, ...) from ``python -m contract.scratch
    ARGS``: an empty scratch database (``--service NAME``: and that target running) meanwhile.

    The kit runs in an environment of its own (uv, the root's ``kit`` group), so the session's
    env keeps nothing but what it installed; closing the kit's stdin makes it clean up.
    """
    kit = nox.project.dependency_groups(PYPROJECT, "kit")
    command = [find_uv()[1], "run", "--no-project", "--python", PYTHON]
    command += [f"--with={requirement}" for requirement in kit]
    command += ["python", "-m", "contract.scratch", *args]
    session.log(shlex.join(command))
    with subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "loadtest/src")},  # the kit's loadtest imports
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as kit_process:
        assert kit_process.stdin is not None
        assert kit_process.stdout is not None
        line = kit_process.stdout.readline().strip()  # the kit bounds its own start-up
        try:
            if not line:
                session.error("the contract kit could not provide a scratch database (above)")
            yield json.loads(line)
        finally:
            kit_process.stdin.close()
            kit_process.wait(timeout=60)


def install_loadtest(session: nox.Session) -> None:
    """The loadtest package (its pins, editable) and the kit's needs: what seeding takes."""
    session.install("--require-hashes", "-r", "loadtest/requirements.txt")
    session.install("--no-deps", "-e", "./loadtest")  # editable: always the working tree's code
    session.install(*nox.project.dependency_groups(PYPROJECT, "contract"))


# --- sessions -------------------------------------------------------------------------------------


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Ruff and mypy over the repository's own code (each service lints itself: `service`)."""
    install_loadtest(session)  # perf/compare.py drives it: mypy reads its types
    session.install(*nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session(python=PYTHON)
@nox.parametrize("name", SERVICES)
def service(session: nox.Session, name: str) -> None:
    """One service on its own: its pins, its lint settings, its tests (with a scratch database).

    The tests get TEST_DATABASE_URL: an empty demo_data on a throw-away server (the kit's).
    """
    folder = ROOT / "services" / name
    requirements = folder / "requirements.txt"
    compiles = "mysqlclient" in requirements.read_text()
    require(session, SERVER, *([HEADERS] if compiles else []))
    pyproject = nox.project.load_toml(folder / "pyproject.toml")
    session.install("--require-hashes", "-r", str(requirements))
    session.install(*nox.project.dependency_groups(pyproject, "lint", "test"))
    with session.chdir(folder):
        session.run("ruff", "check", ".")
        session.run("ruff", "format", "--check", ".")
        session.run("mypy", ".")
        with scratch(session) as env:
            pytest_without_skips(session, *session.posargs, env=env)


@nox.session(python=PYTHON)
def loadtest(session: nox.Session) -> None:
    """The load-test package: its lint, its Dockerfile, its tests (a scratch database and a
    service from the kit, as `service` has; wrk drives the one-machine runner)."""
    require(session, SERVER, WRK)
    pyproject = nox.project.load_toml(ROOT / "loadtest/pyproject.toml")
    session.install("--require-hashes", "-r", "loadtest/requirements.txt")
    session.install("--no-deps", "-e", "./loadtest")
    session.install(*nox.project.dependency_groups(pyproject, "dev"))
    with session.chdir(ROOT / "loadtest"):
        session.run("ruff", "check", ".")
        session.run("ruff", "format", "--check", ".")
        session.run("mypy")
        session.run("hadolint", "Dockerfile")
        # The runner's tests drive one real service: the one that starts fastest will do.
        with scratch(session, "--service", "starlette") as env:
            session.run("python", "-m", "pytest", *session.posargs, env=env)


@nox.session(python=PYTHON)
def helm(session: nox.Session) -> None:
    """The Helm charts offline: lint, render, validate, policy scan, and a dry run of the
    install on this machine (`-- -k "not dry_run"` leaves the dry run out)."""
    # The dry run starts the services (mysqlclient builds) and the kit's database.
    require(session, HEADERS, SERVER)
    tests = nox.project.load_toml(ROOT / "deploy/helm/tests/pyproject.toml")
    # The dry run runs the rendered loadtest containers here, with the kit's database.
    install_loadtest(session)
    session.install(*nox.project.dependency_groups(tests, "lint"))
    # The tests import deploy/images.py and deploy/aks/cost.py: mypy checks them too.
    session.run("mypy", "--config-file", "deploy/helm/tests/pyproject.toml", "deploy/helm/tests")
    session.run("python", "-m", "pytest", "deploy/helm/tests", *session.posargs)


@nox.session(python=PYTHON)
def contract(session: nox.Session) -> None:
    """The HTTP contract against every service, as real servers on a real MySQL.

    `nox -s contract -- --service flask` tests one; DATABASE_URL picks the server. The targets
    run side by side, a worker each (contract/pytest_plugin.py; `-- -n 0`: one after another).
    """
    require(session, HEADERS, SERVER, WRK)
    session.install(*nox.project.dependency_groups(PYPROJECT, "contract"))
    pytest_without_skips(session, "-n", "auto", "--dist", "loadscope", *session.posargs)


@nox.session(python=PYTHON, default=False)
def faults(session: nox.Session) -> None:
    """The fault and hostile-input tests at full size (a long run of minutes per service)."""
    require(session, HEADERS, SERVER, WRK)
    session.install(*nox.project.dependency_groups(PYPROJECT, "contract"))
    pytest_without_skips(
        session, "--budget", "full",
        "contract/tests/test_faults.py", "contract/tests/test_hostile.py", *session.posargs,
    )  # fmt: skip


@nox.session(python=PYTHON, default=False)
def fuzz(session: nox.Session) -> None:
    """The property tests with a large hypothesis budget (the contract runs a small one).

    `-- --short`: the same session with a budget of minutes (CI), so a broken one shows.
    """
    require(session, HEADERS, SERVER)
    session.install(*nox.project.dependency_groups(PYPROJECT, "contract"))
    profile = "fuzz-short" if "--short" in session.posargs else "fuzz"
    pytest_without_skips(
        session, "--hypothesis-profile", profile, "contract/tests/test_properties.py",
        *(arg for arg in session.posargs if arg != "--short"),
    )  # fmt: skip


@nox.session(python=PYTHON, default=False)
def up(session: nox.Session) -> None:
    """The six targets on ports from 8001 against a seeded database, until Ctrl-C.

    Seeded as `bench` seeds (`python -m loadtest seed`), so `python -m loadtest run` finds its
    demo-hit names there.
    """
    require(session, HEADERS, SERVER)
    install_loadtest(session)
    session.run("python", "-m", "contract.up", *session.posargs)


@nox.session(python=PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """The comparison: capacity at a p99 SLO per core, 3 rounds, report (`-- --quick`: 3 min).

    `-- --full` adds every latency and a pool sweep, `-- --publish` writes docs/bench/ and the
    README's answer; `-- --service flask --rows 100000` trims it; DATABASE_URL picks the server.
    """
    require(session, HEADERS, SERVER, WRK)
    install_loadtest(session)
    # The glue imports the kit (contract/) from the repository root; the package never does. On
    # Ctrl-C it stops what it started and removes its files: give it the time, as `perf` does.
    session.run(
        "python", "-m", "perf.compare", *session.posargs,
        env={"PYTHONPATH": str(ROOT)}, interrupt_timeout=120, terminate_timeout=30,
    )  # fmt: skip


@nox.session(python=PYTHON, default=False)
def perf(session: nox.Session) -> None:
    """The micro-benchmark with wrk: services, bare floors, the blog's apps (`-- --smoke`: CI).

    Writes results/perf-*.json, .md and -ladder.png (perf/README.md); DATABASE_URL picks the server.
    """
    require(session, HEADERS, SERVER, WRK)
    # loadtest seeds the table, as for `bench`; its pins carry matplotlib for the ladder chart.
    install_loadtest(session)
    # On Ctrl-C the run stops its targets and its database and removes its logs: give it the
    # time (nox's default is 0.3 s before it kills the run and orphans them).
    session.run(
        "python", "-m", "perf.bench", *session.posargs,
        env={"PYTHONPATH": str(ROOT)}, interrupt_timeout=120, terminate_timeout=30,
    )  # fmt: skip


@nox.session(python=PYTHON)
def perf_tests(session: nox.Session) -> None:
    """perf's own tests: summary, targets, ladder, report from recorded numbers; the wrk script;
    the comparison's glue (`bench`)."""
    require(session, SERVER, WRK)
    install_loadtest(session)  # the comparison's glue (perf/compare.py) drives it
    session.install(*nox.project.dependency_groups(PYPROJECT, "perf"))
    session.run("python", "-m", "pytest", "perf/tests", *session.posargs)


if __name__ == "__main__":
    nox.main()
