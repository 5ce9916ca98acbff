"""The kit's pytest plugin: ``--service NAME`` selects targets; tests are parametrised by them.

Loaded with ``-p contract.pytest_plugin`` (pyproject's addopts), because options must be known
before pytest reads the test folders' conftest files.

Targets run side by side under pytest-xdist (``-n auto --dist loadscope``, as ``nox -s contract``
runs them): each target's tests are one scope, run by one worker, and the tests that compare
every target at once are one more. A worker has its own database server (the session fixture),
so a fault one target's tests make (a restart, a global variable) never reaches another's
(on DATABASE_URL's server, which they would share, one worker runs them all).
"""

from __future__ import annotations

import os
import tomllib
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import settings

from contract.services import MANIFEST, ServiceError, ServiceSpec, discover

SPECS = pytest.StashKey[list[ServiceSpec]]()
FIGURES = pytest.StashKey[dict[str, dict[str, str]]]()

# `--hypothesis-profile fuzz` (nox -s fuzz) raises the budget of the property tests;
# `fuzz-short` (nox -s fuzz -- --short, CI) runs the fuzz session's path with a small one.
settings.register_profile("default", max_examples=60)
settings.register_profile("fuzz", max_examples=1500)
settings.register_profile("fuzz-short", max_examples=100)
# The xdist scope of the tests that take every selected target at once (no ``service_name``).
ALL_TARGETS = "all-targets"
# At most this many workers for `-n auto`: a target's tests mostly wait (on start-ups, timeouts
# and held replies), so three share 2 cores; the tests that load the machine still overlap with
# others' timing, within their relative bounds (`--maxprocesses 2` or `-n 0` for fewer).
MAX_WORKERS = 3
# A property test's pytest-timeout bound follows its budget (examples x targets): seconds per
# request, room for a machine four times slower than this one's ~0.01 s (2026-12, 2 cores).
SECONDS_PER_REQUEST = 0.1


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--service",
        action="append",
        default=[],
        metavar="NAME",
        help="test only this target, e.g. flask-threads (repeatable); default: every target "
        "in services.toml",
    )
    parser.addoption(
        "--budget",
        choices=("short", "full"),
        default="short",
        help="size of the long-running fault tests: short for CI, full for nox -s faults",
    )


def pytest_configure(config: pytest.Config) -> None:
    figures: dict[str, dict[str, str]] = defaultdict(dict)
    config.stash[FIGURES] = figures
    try:
        config.stash[SPECS] = discover(config.getoption("service") or None)
    except (ServiceError, ValueError) as error:  # ValueError: a Dockerfile without an exec CMD
        raise pytest.UsageError(str(error)) from error


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that takes ``service_name`` runs once per target. services.toml's known issues
    (todomvc's knownIssues) are expected to fail, and strictly, so a fixed one turns the run
    red until its entry goes."""
    if "service_name" in metafunc.fixturenames:
        test = metafunc.definition.originalname
        params = []
        for spec in metafunc.config.stash[SPECS]:
            reason = spec.known_issues.get(test)
            known = pytest.mark.xfail(reason=f"{spec.name}: {reason}", strict=True)
            params.append(pytest.param(spec.name, marks=[known] if reason else []))
        metafunc.parametrize("service_name", params, scope="session")


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # before xdist's own (the CPU count)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: a worker per scope (each target, and the side-by-side tests), at most
    MAX_WORKERS (``--maxprocesses`` sets fewer); one on DATABASE_URL's server, which workers
    would share: a global variable one test sets for a while (read_only) would reach them all."""
    if os.environ.get("DATABASE_URL"):
        return 1
    targets = config.getoption("service") or list(tomllib.loads(MANIFEST.read_text()))
    return min(len(targets) + 1, MAX_WORKERS)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    requests = settings().max_examples * len(config.stash[SPECS])
    for item in items:
        if hasattr(getattr(item, "obj", None), "hypothesis"):  # a @given test
            base = float(config.getini("timeout") or 0)
            item.add_marker(pytest.mark.timeout(base + SECONDS_PER_REQUEST * requests))


@pytest.hookimpl(optionalhook=True)  # an xdist hook: called on the controller
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadscope``: a scope is a target's tests (xdist's own is a module)."""
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling  # noqa: PLC0415 (only under xdist)

    names = [spec.name for spec in config.stash[SPECS]]

    class ByTarget(LoadScopeScheduling):  # type: ignore[misc]  # xdist is untyped
        def _split_scope(self, nodeid: str) -> str:
            return target_of(nodeid, names)

    return ByTarget(config, log)


def target_of(nodeid: str, names: list[str]) -> str:
    """The target a test runs against, from its id's parameters (``test_x[flask-threads-a]``:
    the plugin's parameter comes first), or ALL_TARGETS: the longest name that fits."""
    _, bracket, params = nodeid.rpartition("::")[2].partition("[")
    params = params.removesuffix("]")
    fits = [name for name in names if params == name or params.startswith(name + "-")]
    return max(fits, key=len) if bracket and fits else ALL_TARGETS


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On an xdist worker: hand the figures its tests measured to the controller."""
    output: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    if output is not None:
        figures = session.config.stash[FIGURES]
        output["figures"] = {name: dict(values) for name, values in figures.items()}


@pytest.hookimpl(optionalhook=True)  # an xdist hook: called on the controller
def pytest_testnodedown(node: Any, error: object) -> None:
    """A worker is done: its figures join the controller's summary."""
    workeroutput: dict[str, Any] = getattr(node, "workeroutput", {})
    for name, values in workeroutput.get("figures", {}).items():
        node.config.stash[FIGURES][name].update(values)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """What the fault tests measured (recovery times, connections, memory), per service."""
    figures = config.stash.get(FIGURES, {})
    if not figures:
        return
    terminalreporter.section("measured")
    for service, values in sorted(figures.items()):
        line = ", ".join(f"{key} {value}" for key, value in sorted(values.items()))
        terminalreporter.write_line(f"{service:>10}: {line}")
