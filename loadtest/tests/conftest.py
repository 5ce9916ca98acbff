"""Shared fixtures: a real database and a real service, both handed over by the caller, the CLI.

``nox -s loadtest`` starts them (the repository's kit) and names them in the environment:
``TEST_DATABASE_URL``, an empty scratch database whose user may do anything in it;
``TEST_SERVICE_URL`` and ``TEST_SERVICE_PID``, a service reading a database of its own, whose
owner is ``TEST_SERVICE_DATABASE_URL`` (seeded here, by ``loadtest seed``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any, Protocol

import pytest

from loadtest.database import connect

COMMAND_TIMEOUT = 300  # seconds; every command the tests start is bounded
SEEDED_ROWS = 1000


def _given(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run these tests with `nox -s loadtest`", pytrace=False)
    return value


@dataclass(frozen=True)
class Database:
    """A scratch database (its owner's URL)."""

    url: str

    def execute(self, sql: str, args: Any = None) -> list[tuple[Any, ...]]:
        with connect(self.url, autocommit=True) as conn, conn.cursor() as cursor:
            cursor.execute(sql, args)
            return list(cursor.fetchall())


@pytest.fixture(scope="session")
def database() -> Database:
    return Database(_given("TEST_DATABASE_URL"))


@pytest.fixture
def no_table(database: Database) -> Database:
    """The scratch database without demo_data: each seeder test starts from nothing."""
    database.execute("DROP TABLE IF EXISTS demo_data")
    return database


@dataclass(frozen=True)
class Service:
    url: str
    pid: int


@pytest.fixture(scope="session")
def service() -> Service:
    """A real service on a database seeded by ``loadtest seed``: what a comparison measures."""
    seed = ["seed", "--rows", str(SEEDED_ROWS), "--no-progress"]
    _loadtest(*seed, env={"DATABASE_URL": _given("TEST_SERVICE_DATABASE_URL")})
    return Service(_given("TEST_SERVICE_URL"), int(_given("TEST_SERVICE_PID")))


class CLI(Protocol):
    def __call__(
        self, *args: str, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]: ...


@pytest.fixture
def cli() -> CLI:
    """``python -m loadtest ARGS`` in a child process (locust's gevent patching stays there)."""
    return _loadtest


def _loadtest(
    *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "loadtest", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(f"loadtest {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result
