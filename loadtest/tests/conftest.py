"""Shared fixtures: a real database and a real service (the contract kit's), the CLI."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest

from contract.database import SCHEMA, Database, provide_database
from contract.services import discover, run_service

if TYPE_CHECKING:
    from collections.abc import Iterator

HERE = Path(__file__).parent
COMMAND_TIMEOUT = 300  # seconds; every command the tests start is bounded
SEEDED_ROWS = 1000
# The runner's tests drive one real service: the one that starts fastest will do, since they
# check the runner, not the service (the comparison measures all four).
SERVICE = "starlette"


@pytest.fixture(scope="session")
def database() -> Iterator[Database]:
    """A scratch database on DATABASE_URL's server, or on a throw-away one (contract kit)."""
    with provide_database("loadtest") as db:
        yield db


@pytest.fixture
def no_table(database: Database) -> Database:
    """The scratch database without demo_data: each seeder test starts from nothing."""
    database.execute("DROP TABLE IF EXISTS demo_data")
    return database


@dataclass(frozen=True)
class Service:
    name: str
    url: str
    pid: int


@pytest.fixture(scope="session")
def service(database: Database) -> Iterator[Service]:
    """A real service (its Dockerfile command, its pinned env) on a second scratch database of
    the same server, seeded by ``loadtest seed``: what ``nox -s bench`` measures, in small."""
    seeded = Database(server=database.server, name=f"ltsvc_{secrets.token_hex(4)}")
    with seeded.server.connect() as conn, conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{seeded.name}` CHARACTER SET utf8mb4")
    try:
        with seeded.connect() as conn, conn.cursor() as cursor:
            cursor.execute(SCHEMA.read_text())
        seed = ["seed", "--rows", str(SEEDED_ROWS), "--no-progress"]
        _loadtest(*seed, env={"DATABASE_URL": seeded.url})
        reader = seeded.create_reader("ltsvc")
        (spec,) = discover([SERVICE])
        with run_service(spec, database_url=reader.url(seeded.name)) as running:
            yield Service(SERVICE, running.url, running.pid)
    finally:
        seeded.drop()


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
