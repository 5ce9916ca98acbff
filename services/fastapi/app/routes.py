"""The four endpoints (CONTRACT.md, "Endpoints"); their errors are left to app.errors.

A FastAPI ``GET`` route does not answer ``HEAD``, so each function is also registered as a
``HEAD`` route, left out of the schema: one ``api_route`` for both methods would give the
schema two operations with one operation ID, which FastAPI warns about. uvicorn sends a
``HEAD`` response's headers without its body.
(https://fastapi.tiangolo.com/reference/apirouter/#fastapi.APIRouter.head)
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.db import PoolDep, get_pool
from app.models import DemoRow, Error, Status
from app.query import MAX_NAME, requested_name
from app.responses import JSONResponse, dumps

# Rendered once: the bodies never change.
IDLE = dumps({"status": "idle"})
OK = dumps({"status": "ok"})
READY = dumps({"status": "ready"})

UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": Error, "description": "The database is unavailable"}
}
# app.query parses `name` from the raw query string, so FastAPI cannot see it: document it.
NAME_PARAMETER = {
    "name": "name",
    "in": "query",
    "required": False,
    "description": "The name to look up; without it, a random name as the blog draws one.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_NAME},
}

router = APIRouter()


@router.head("/demo", include_in_schema=False)
@router.get(
    "/demo",
    tags=["demo"],
    response_model=list[DemoRow],
    responses={400: {"model": Error, "description": "Invalid query or name"}, **UNAVAILABLE},
    openapi_extra={"parameters": [NAME_PARAMETER]},
)
async def demo(request: Request) -> Response:
    """The blog's lookup: the rows named ``name``, in id order."""
    # The hot path takes the request itself
    # (https://fastapi.tiangolo.com/advanced/using-request-directly/) rather than the name and
    # the pool as two dependencies: FastAPI solves dependencies anew on every request, about a
    # fifth of this endpoint's own time (perf/README.md). /readyz keeps PoolDep.
    pool = await get_pool(request)
    return JSONResponse(await pool.lookup(requested_name(request)))


@router.head("/idle", include_in_schema=False)
@router.get("/idle", tags=["demo"], response_model=Status)
async def idle() -> Response:
    """The blog's "idle" test: no database."""
    return JSONResponse(IDLE)


@router.head("/healthz", include_in_schema=False)
@router.get("/healthz", tags=["probes"], response_model=Status)
async def healthz() -> Response:
    """Liveness: the process answers; never touches the database."""
    return JSONResponse(OK)


@router.head("/readyz", include_in_schema=False)
@router.get("/readyz", tags=["probes"], response_model=Status, responses=UNAVAILABLE)
async def readyz(pool: PoolDep) -> Response:
    """Readiness: the table answers through the pool within its deadlines, else 503."""
    await pool.ping()
    return JSONResponse(READY)
