"""A configuration outside CONTRACT.md's rules ("Configuration") is refused at start: the
process exits non-zero, before serving, with one line ``invalid configuration: NAME: <why>``
that never echoes the database password.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contract.database import Database
from contract.tests.conftest import Deployer, assert_one_line_events

# A server imports its application, reads its environment and exits: a few seconds, slower
# on a busy machine; far less than a server that went on to serve would take to be noticed.
EXIT_WITHIN = 30.0
PASSWORD = "s3cret-never-logged"
URL = "mysql://reader:{password}@127.0.0.1:3306/{database}"

# id -> (the variable the line names, the environment that breaks it). In DATABASE_URL,
# {password} and {database} are filled in, {ca} is the path of a PEM file.
CASES: dict[str, tuple[str, dict[str, str]]] = {
    "port-0": ("PORT", {"PORT": "0"}),
    "port-65536": ("PORT", {"PORT": "65536"}),
    "port-x": ("PORT", {"PORT": "x"}),
    "url-unknown-option": ("DATABASE_URL", {"DATABASE_URL": URL + "?charset=utf8mb4"}),
    "url-bad-ssl-mode": ("DATABASE_URL", {"DATABASE_URL": URL + "?ssl-mode=PREFERRED"}),
    "url-ssl-ca-with-disabled": (
        "DATABASE_URL",
        {"DATABASE_URL": URL + "?ssl-mode=DISABLED&ssl-ca={ca}"},
    ),
    "url-ssl-ca-alone": ("DATABASE_URL", {"DATABASE_URL": URL + "?ssl-ca={ca}"}),
    # An option without a value is a typo, not "no TLS" (URL parsers that drop blank values
    # would read it so).
    "url-ssl-mode-blank": ("DATABASE_URL", {"DATABASE_URL": URL + "?ssl-mode="}),
    "url-ssl-mode-bare": ("DATABASE_URL", {"DATABASE_URL": URL + "?ssl-mode"}),
    "url-ssl-ca-blank": ("DATABASE_URL", {"DATABASE_URL": URL + "?ssl-mode=VERIFY_CA&ssl-ca="}),
    "worker-model-bogus": ("WORKER_MODEL", {"WORKER_MODEL": "bogus"}),
    "pool-size-0": ("DB_POOL_SIZE", {"DB_POOL_SIZE": "0"}),
}


@pytest.mark.parametrize("case", CASES)
def test_a_refused_configuration_exits_with_one_line(
    deployer: Deployer, database: Database, service_name: str, case: str, tmp_path: Path
) -> None:
    name, env = CASES[case]
    ca = tmp_path / "ca.pem"
    ca.write_text(database.tls.ca.read_text() if database.tls else "")
    values = {"password": PASSWORD, "database": database.name, "ca": str(ca)}
    env = {key: value.format(**values) for key, value in env.items()}
    port = env.pop("PORT", None)
    log = deployer.refused(service_name, EXIT_WITHIN, port=port, **env)
    lines = log.splitlines()
    assert_one_line_events(lines)
    refusals = [line for line in lines if "invalid configuration: " in line]
    assert len(refusals) == 1, log
    assert re.search(rf"invalid configuration: {name}: \S", refusals[0]), log
    assert PASSWORD not in log
