"""Generated names: every service agrees with the database and with each other, never a 5xx."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract.client import demo_path
from contract.database import Database
from contract.spec import ERRORS, MAX_NAME
from contract.tests.conftest import Deployment

# Any Unicode (hypothesis leaves out lone surrogates, which UTF-8 cannot carry), a little past
# the limit, with the fixtures' own alphabet mixed in so that some names do match rows.
NAMES = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.sampled_from("dupCASEtrail %_\\'\"😀\x00"), max_size=12),
)


@pytest.fixture
def clients(all_services: list[Deployment]) -> Iterator[dict[str, httpx.Client]]:
    """One client per service for every example: a client builds its TLS context when made."""
    with ExitStack() as stack:
        yield {s.name: stack.enter_context(s.client()) for s in all_services}


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(name=NAMES)
def test_generated_names(clients: dict[str, httpx.Client], database: Database, name: str) -> None:
    valid = 0 < len(name) <= MAX_NAME and "\x00" not in name
    expected = (200, database.lookup(name)) if valid else (400, ERRORS["invalid_name"].body)
    for service, client in clients.items():
        response = client.get(demo_path(name))
        assert (response.status_code, response.json()) == expected, service
