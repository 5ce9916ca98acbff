"""The kit's pytest plugin: ``--service NAME`` selects targets; tests are parametrised by them.

Loaded with ``-p contract.pytest_plugin`` (pyproject's addopts), because options must be known
before pytest reads the test folders' conftest files.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from hypothesis import settings

from contract.services import ServiceError, ServiceSpec, discover

SPECS = pytest.StashKey[list[ServiceSpec]]()
FIGURES = pytest.StashKey[dict[str, dict[str, str]]]()

# `--hypothesis-profile fuzz` (nox -s fuzz) raises the budget of the property tests;
# `fuzz-short` (nox -s fuzz -- --short, CI) runs the fuzz session's path with a small one.
settings.register_profile("default", max_examples=60)
settings.register_profile("fuzz", max_examples=1500)
settings.register_profile("fuzz-short", max_examples=100)
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
    if "service_name" in metafunc.fixturenames:
        test = metafunc.definition.originalname
        metafunc.parametrize(
            "service_name",
            [
                pytest.param(spec.name, marks=_known_issue(spec, test))
                for spec in metafunc.config.stash[SPECS]
            ],
            scope="session",
        )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    requests = settings().max_examples * len(config.stash[SPECS])
    for item in items:
        if hasattr(getattr(item, "obj", None), "hypothesis"):  # a @given test
            base = float(config.getini("timeout") or 0)
            item.add_marker(pytest.mark.timeout(base + SECONDS_PER_REQUEST * requests))


def _known_issue(spec: ServiceSpec, test: str) -> list[pytest.MarkDecorator]:
    """services.toml's known issues (todomvc's knownIssues): expected to fail, and strictly, so
    a fixed one turns the run red until its entry goes."""
    reason = spec.known_issues.get(test)
    return [pytest.mark.xfail(reason=f"{spec.name}: {reason}", strict=True)] if reason else []


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
