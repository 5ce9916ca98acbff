"""The kit's pytest plugin: ``--service NAME`` selects services; tests are parametrised by them.

Loaded with ``-p contract.pytest_plugin`` (pyproject's addopts), because options must be known
before pytest reads the test folders' conftest files.
"""

from __future__ import annotations

import pytest

from contract.services import ServiceError, ServiceSpec, discover

SPECS = pytest.StashKey[list[ServiceSpec]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--service",
        action="append",
        default=[],
        metavar="NAME",
        help="test only this service (repeatable); default: every service in services.toml",
    )


def pytest_configure(config: pytest.Config) -> None:
    try:
        config.stash[SPECS] = discover(config.getoption("service") or None)
    except ServiceError as error:
        raise pytest.UsageError(str(error)) from error


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "service_name" in metafunc.fixturenames:
        names = [spec.name for spec in metafunc.config.stash[SPECS]]
        metafunc.parametrize("service_name", names, scope="session")
