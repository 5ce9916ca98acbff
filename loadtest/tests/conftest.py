"""Shared fixtures: a real database (the contract kit's), a real HTTP server, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pytest

from contract.database import Database, provide_database

if TYPE_CHECKING:
    from collections.abc import Iterator

HERE = Path(__file__).parent
COMMAND_TIMEOUT = 180  # seconds; every command the tests start is bounded


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
class Server:
    url: str
    pid: int


@pytest.fixture(scope="session")
def contract_server() -> Iterator[Server]:
    """tests/contract_server.py as a real process on 127.0.0.1."""
    process = subprocess.Popen(
        [sys.executable, str(HERE / "contract_server.py")], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    with process.stdout:
        try:
            port = int(process.stdout.readline())
            yield Server(f"http://127.0.0.1:{port}", process.pid)
        finally:
            process.terminate()
            process.wait(timeout=10)


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
