"""The path operations, on an ``APIRouter`` that app.main includes.

As fastapi/full-stack-fastapi-template's ``api/routes/``, without a prefix: the contract's
paths are at the root. Errors are raised and left to app.errors.

A FastAPI ``GET`` route does not answer ``HEAD``, so each function is also registered as a
``HEAD`` route, left out of the schema: one ``api_route`` for both methods would give the
schema two operations with one operation ID, which FastAPI warns about. uvicorn sends a
``HEAD`` response's headers without its body.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.deps import NameDep, PoolDep
from app.models import DemoRow, Error, Status
from app.query import MAX_NAME

router = APIRouter(tags=["demo"])
probes = APIRouter(tags=["probes"])

UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": Error, "description": "The database is unavailable"}
}
# app.deps parses `name` from the raw query string, so FastAPI cannot see it: document it.
NAME_PARAMETER = {
    "name": "name",
    "in": "query",
    "required": False,
    "description": "The name to look up; without it, a random name as the blog draws one.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
}


# HEAD's Content-Length is GET's: the same model renders the body that uvicorn leaves out.
@router.head("/demo", response_model=list[DemoRow], include_in_schema=False)
@router.get(
    "/demo",
    response_model=list[DemoRow],
    responses={400: {"model": Error, "description": "Invalid query or name"}, **UNAVAILABLE},
    openapi_extra={"parameters": [NAME_PARAMETER]},
)
async def demo(pool: PoolDep, name: NameDep) -> Any:
    """The blog's lookup: the rows named ``name``, in id order."""
    # `databases` Records; response_model validates and serialises them (app.models).
    return await pool.lookup(name)


@router.head("/idle", include_in_schema=False)
@router.get("/idle")
async def idle() -> Status:
    """The blog's "idle" test: no database."""
    return Status(status="idle")


@probes.head("/healthz", include_in_schema=False)
@probes.get("/healthz")
async def healthz() -> Status:
    """Liveness: the process answers; never touches the database."""
    return Status(status="ok")


@probes.head("/readyz", include_in_schema=False)
@probes.get("/readyz", responses=UNAVAILABLE)
async def readyz(pool: PoolDep) -> Status:
    """Readiness: the table answers through the pool within its deadlines, else 503."""
    await pool.ping()
    return Status(status="ready")
