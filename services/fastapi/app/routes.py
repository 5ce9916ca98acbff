"""The path operations, on two ``APIRouter``s.

A ``GET`` route does not answer ``HEAD`` (fastapi/fastapi#1773), so each path is also a
``HEAD`` route, left out of the schema; uvicorn sends its headers without the body.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from app.db import LOOKUP, PING, fetch_all
from app.deps import ConnectionDep, NameDep
from app.models import DemoRow, ErrorBody, Status
from app.query import MAX_NAME

router = APIRouter(tags=["demo"])
probes = APIRouter(tags=["probes"])

JSON = "application/json"
IDLE = Status(status="idle").model_dump_json().encode()
OK = Status(status="ok").model_dump_json().encode()
READY = Status(status="ready").model_dump_json().encode()

UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "The database is unavailable"}
}
# NameDep reads `name` from the raw query string, out of FastAPI's sight: documented here.
NAME_PARAMETER = {
    "name": "name",
    "in": "query",
    "required": False,
    "description": "The name to look up; without it, a random name.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
}


@router.head("/demo", response_model=list[DemoRow], include_in_schema=False)
@router.get(
    "/demo",
    response_model=list[DemoRow],
    responses={400: {"model": ErrorBody, "description": "Invalid query or name"}, **UNAVAILABLE},
    openapi_extra={"parameters": [NAME_PARAMETER]},
)
async def demo(name: NameDep, connection: ConnectionDep) -> Any:
    """The rows named ``name``, in id order."""
    # Dependencies run in order: a refused name never takes a connection.
    return await fetch_all(connection, LOOKUP, name=name)


@router.head("/idle", include_in_schema=False)
@router.get("/idle", response_model=Status)
async def idle() -> Response:
    """No database."""
    return Response(IDLE, media_type=JSON)


@probes.head("/healthz", include_in_schema=False)
@probes.get("/healthz", response_model=Status)
async def healthz() -> Response:
    """Liveness: never touches the database."""
    return Response(OK, media_type=JSON)


@probes.head("/readyz", include_in_schema=False)
@probes.get("/readyz", response_model=Status, responses=UNAVAILABLE)
async def readyz(connection: ConnectionDep) -> Response:
    """Readiness: the table answers through the pool within its deadlines, else 503."""
    await fetch_all(connection, PING)
    return Response(READY, media_type=JSON)
