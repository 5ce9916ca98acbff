"""The one retry (CONTRACT.md, "Database behaviour"): a pooled connection that dies after
checkout, while its query runs, is discarded and the lookup retried once on a fresh connection.

Deterministic: the proxy holds the lookup's query (it names a name no other traffic carries) and
then closes that connection, so the service's first attempt always fails the same way, whatever
its driver checks at checkout (a connection found closed there never needs the retry). The
pool is used in full first, so the lookup meets a pooled connection, not one a pool opened at
checkout (SQLAlchemy's replaces every older connection there after a disconnect).
"""

from __future__ import annotations

import secrets
import time

from contract.client import demo_path
from contract.database import Database
from contract.spec import ERRORS
from contract.tests.conftest import POOL_SIZE, QUERY_TIMEOUT, Deployment

HOLD = 0.2  # seconds the proxy holds the query before it closes the connection


def _unique_name() -> bytes:
    return f"retry-{secrets.token_hex(8)}".encode()


def test_a_connection_that_dies_under_its_query_is_retried_once(
    service: Deployment, database: Database
) -> None:
    name = _unique_name()
    killed = service.proxy.killed
    service.warm(POOL_SIZE)  # every pooled connection open and in use once: none is new
    with service.client() as client:
        service.proxy.kill_next_query(name, HOLD)
        started = time.perf_counter()
        response = client.get(demo_path(name.decode()))
        elapsed = time.perf_counter() - started
    assert service.proxy.killed - killed == 1, "the lookup's query never reached the proxy"
    assert response.status_code == 200, f"{response.text}\n{service.log_tail()}"
    assert response.json() == database.lookup(name.decode())
    assert elapsed < QUERY_TIMEOUT, f"{elapsed:.1f} s: a timeout, not a retry"


def test_the_retry_is_once(service: Deployment) -> None:
    """The fresh connection dying too is a 503, not a third attempt."""
    name = _unique_name()
    killed = service.proxy.killed
    service.warm(POOL_SIZE)
    with service.client() as client:
        service.proxy.kill_next_query(name, HOLD, times=3)
        response = client.get(demo_path(name.decode()))
    assert response.status_code == 503, response.text
    assert response.json() == ERRORS["database_unavailable"].body
    assert service.proxy.killed - killed == 2, "not one attempt and one retry"
