"""Errors the database reports, as the service answers and logs them (CONTRACT.md, "Errors",
"Logging"): a missing grant or table is 503 `database_unavailable`, one WARNING line naming the
server's error code, never a traceback; the service recovers once the grant or table is back.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager

import pymysql
import pytest

from contract.client import demo_path
from contract.database import LOOKUP, Database, ServerAddress
from contract.spec import ERRORS, JSON
from contract.tests.conftest import (
    FAIL_BOUND,
    Deployment,
    LogWatch,
    assert_one_line_events,
    eventually,
)

REQUESTS = 3
FAULTS: dict[str, Callable[[Database, Deployment], AbstractContextManager[None]]] = {
    "grant revoked": lambda database, service: database.grant_revoked(service.user),
    "table missing": lambda database, service: database.table_renamed(),
}


def _error_codes(login: ServerAddress, database: Database) -> set[str]:
    """The server's error codes for the lookup as the service's user: on an open connection,
    and at connect (a pool may open a fresh one)."""
    codes = set()
    for schema in (None, database.name):
        try:
            with login.connect(schema) as conn, conn.cursor() as cursor:
                cursor.execute(LOOKUP.replace("demo_data", f"`{database.name}`.demo_data"), ["x"])
        except pymysql.MySQLError as error:
            codes.add(str(error.args[0]))
    return codes


@pytest.mark.parametrize("fault", FAULTS)
def test_missing_grant_or_table_is_a_503_logged_once(
    service: Deployment, database: Database, fault: str
) -> None:
    watch = LogWatch(service.running.log)
    with FAULTS[fault](database, service), service.client() as client:
        codes = _error_codes(service.login, database)
        responses = [client.get(demo_path("dup")) for _ in range(REQUESTS)]
        responses.append(client.get("/readyz"))
    assert codes, "the fault made no error"
    for response in responses:
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == JSON
        assert response.json() == ERRORS["database_unavailable"].body
    lines = watch.wait_for("WARNING", len(responses))
    assert_one_line_events(lines)
    warnings = [line for line in lines if "WARNING" in line]
    assert len(warnings) == len(responses), lines
    named = re.compile(r"\b(" + "|".join(codes) + r")\b")
    assert all(named.search(line) for line in warnings), (codes, warnings)
    with service.client() as client:
        back = eventually(lambda: client.get(demo_path("dup")).status_code == 200, FAIL_BOUND)
    assert back, f"still failing after the {fault.split(maxsplit=1)[0]} came back"
