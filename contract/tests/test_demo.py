"""GET /demo: the lookup, its JSON shape, and the random name the blog's test relies on."""

from __future__ import annotations

import re

import pytest

from contract.client import demo_path
from contract.database import Database
from contract.fixtures import FIXED, PROBE_NAMES, ZERO_DATE_NAME
from contract.spec import JSON
from contract.tests.conftest import Deployment

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
KEYS = {"id", "name", "create_time", "update_time"}


@pytest.mark.parametrize("name", PROBE_NAMES, ids=ascii)
def test_lookup_matches_the_database(service: Deployment, database: Database, name: str) -> None:
    with service.client() as client:
        response = client.get(demo_path(name))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSON
    assert response.json() == database.lookup(name)


def test_rows_have_the_contract_shape(service: Deployment) -> None:
    with service.client() as client:
        rows = client.get(demo_path("dup")).json()
    assert len(rows) == 3
    assert [row["id"] for row in rows] == sorted(row["id"] for row in rows)
    for row in rows:
        assert set(row) == KEYS
        assert type(row["id"]) is int
        assert row["name"] == "dup"
        assert TIMESTAMP.match(row["create_time"])
        assert TIMESTAMP.match(row["update_time"])


def test_timestamps_are_utc_and_null_is_null(service: Deployment) -> None:
    expected = FIXED.strftime("%Y-%m-%dT%H:%M:%SZ")
    with service.client() as client:
        (fixed,) = client.get(demo_path("fixed")).json()
        (nullable,) = client.get(demo_path("nullable")).json()
    assert fixed["create_time"] == fixed["update_time"] == expected
    assert nullable["create_time"] == expected
    assert nullable["update_time"] is None


def test_a_zero_timestamp_is_null(service: Deployment) -> None:
    with service.client() as client:
        (zero,) = client.get(demo_path(ZERO_DATE_NAME)).json()
    assert zero["create_time"] is None
    assert zero["update_time"] is None


def test_collation_decides_case_and_trailing_spaces(
    service: Deployment, database: Database
) -> None:
    with service.client() as client:
        rows = client.get(demo_path("CASE")).json()
    assert {row["name"] for row in rows} == {row["name"] for row in database.lookup("case")}
    assert len(rows) == 3  # Case, case, CASE under every default utf8mb4 collation


def test_no_match_is_an_empty_array(service: Deployment) -> None:
    with service.client() as client:
        response = client.get(demo_path("no such name in the fixtures"))
    assert response.status_code == 200
    assert response.content.strip() == b"[]"


def test_without_name_a_random_blog_name_is_looked_up(service: Deployment) -> None:
    with service.client() as client:
        responses = [client.get("/demo") for _ in range(20)]
    for response in responses:
        assert response.status_code == 200
        assert response.headers["content-type"] == JSON
        rows = response.json()
        assert isinstance(rows, list)
        for row in rows:
            assert set(row) == KEYS


def test_unknown_parameters_are_ignored(service: Deployment, database: Database) -> None:
    with service.client() as client:
        response = client.get("/demo?name=dup&page=2&name_=x&NAME=y")
    assert response.status_code == 200
    assert response.json() == database.lookup("dup")


def test_plus_is_a_space(service: Deployment, database: Database) -> None:
    with service.client() as client:
        response = client.get("/demo?name=space+inside")
    assert response.json() == database.lookup("space inside") != []


def test_head_has_the_headers_and_no_body(service: Deployment) -> None:
    with service.client() as client:
        get = client.get(demo_path("dup"))
        head = client.head(demo_path("dup"))
    assert head.status_code == get.status_code == 200
    assert head.headers["content-type"] == JSON
    assert head.content == b""
