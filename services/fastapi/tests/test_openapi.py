"""The served OpenAPI schema says what the contract says: paths, methods, bodies."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.query import MAX_NAME

# The contract's endpoints: GET (and HEAD, which OpenAPI leaves implicit) only.
ENDPOINTS = {"/demo", "/idle", "/healthz", "/readyz"}
# The contract's row: these keys, in this order, with these JSON types.
ROW = {
    "id": {"type": "integer"},
    "name": {"type": "string"},
    "create_time": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
    "update_time": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]},
}
ERROR = {"error": {"type": "string"}, "detail": {"type": "string"}}
STATUS = {"status": {"type": "string"}}


@pytest.fixture(scope="module")
def schema(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document: dict[str, Any] = response.json()
    return document


def component(schema: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:
    """The component a ``$ref`` names, its properties reduced to their types."""
    name = reference["$ref"].removeprefix("#/components/schemas/")
    found: dict[str, Any] = schema["components"]["schemas"][name]
    return {
        "required": found.get("required", []),
        "properties": {
            key: {k: v for k, v in value.items() if k in {"type", "format", "anyOf"}}
            for key, value in found["properties"].items()
        },
    }


def body(operation: dict[str, Any], status: str) -> dict[str, Any]:
    content: dict[str, Any] = operation["responses"][status]["content"]
    assert list(content) == ["application/json"]
    result: dict[str, Any] = content["application/json"]["schema"]
    return result


def test_paths_and_methods(schema: dict[str, Any]) -> None:
    assert {path: list(ops) for path, ops in schema["paths"].items()} == {
        path: ["get"] for path in ENDPOINTS
    }


def test_demo_returns_an_array_of_rows(schema: dict[str, Any]) -> None:
    demo = schema["paths"]["/demo"]["get"]
    array = body(demo, "200")
    assert array["type"] == "array"
    row = component(schema, array["items"])
    assert row == {"required": list(ROW), "properties": ROW}


def test_demo_documents_its_name_parameter(schema: dict[str, Any]) -> None:
    (parameter,) = schema["paths"]["/demo"]["get"]["parameters"]
    assert (parameter["name"], parameter["in"], parameter["required"]) == ("name", "query", False)
    assert parameter["schema"] == {"type": "string", "minLength": 1, "maxLength": MAX_NAME}


@pytest.mark.parametrize(
    ("path", "statuses"),
    [("/demo", {"200", "400", "503"}), ("/readyz", {"200", "503"}), ("/idle", {"200"})],
)
def test_error_bodies(schema: dict[str, Any], path: str, statuses: set[str]) -> None:
    operation = schema["paths"][path]["get"]
    assert set(operation["responses"]) == statuses
    for status in statuses - {"200"}:
        assert component(schema, body(operation, status)) == {
            "required": list(ERROR),
            "properties": ERROR,
        }


@pytest.mark.parametrize("path", ["/idle", "/healthz", "/readyz"])
def test_probes_return_a_status(schema: dict[str, Any], path: str) -> None:
    status = component(schema, body(schema["paths"][path]["get"], "200"))
    assert status == {"required": list(STATUS), "properties": STATUS}
