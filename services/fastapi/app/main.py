"""The FastAPI application: the lifespan that owns the pool, the endpoints, the error handlers.

- https://fastapi.tiangolo.com/advanced/events/ (lifespan: the pool is opened before the
  worker serves its first request and closed after its last)
- https://fastapi.tiangolo.com/tutorial/first-steps/ (path operations declared on the app)

The four endpoints are CONTRACT.md's ("Endpoints"); their errors are left to app.errors. They
are declared on the app rather than on an ``APIRouter`` passed to ``include_router()``: since
FastAPI 0.16x an included router is resolved again on every request (its routes' version
walked, its candidates rebuilt or checked), a tenth of ``/idle``'s time for a service whose
four routes never change (perf/README.md).

A FastAPI ``GET`` route does not answer ``HEAD``, so each function is also registered as a
``HEAD`` route, left out of the schema: one ``api_route`` for both methods would give the
schema two operations with one operation ID, which FastAPI warns about. uvicorn sends a
``HEAD`` response's headers without its body.
(https://fastapi.tiangolo.com/reference/fastapi/#fastapi.FastAPI.head)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from app.config import get_settings
from app.db import Pool, PoolDep, get_pool
from app.errors import EXCEPTION_HANDLERS
from app.models import DemoRow, Error, Status
from app.query import MAX_NAME, requested_name
from app.responses import JSONResponse, dumps


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    # Each worker process has its own pool; it opens even while MySQL is down.
    pool = Pool(get_settings())
    await pool.open()
    try:
        # Lifespan state: every request sees it as request.state (app.db.get_pool).
        yield {"pool": pool}
    finally:
        await pool.close()


app = FastAPI(
    title="demo-fastapi",
    summary="The blog's MySQL lookup on FastAPI, uvicorn and databases/aiomysql.",
    lifespan=lifespan,
    exception_handlers=EXCEPTION_HANDLERS,
    # FastAPI's native OpenTelemetry looks the global tracer, meter and logger providers up
    # on every request, 3% of /demo's time (perf/README.md), to find no SDK configured: this
    # service installs none. Deploying with an OpenTelemetry SDK, drop this argument.
    telemetry={"tracing": False, "metrics": False, "logs": False},
    # CONTRACT.md: every other path is a 404, so no /docs, /redoc or /openapi.json.
    # The schema is still app.openapi(): see README.md.
    openapi_url=None,
    docs_url=None,
    redoc_url=None,
    # "/demo/" is a 404 like any unknown path, not a redirect to "/demo".
    redirect_slashes=False,
)

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


@app.head("/demo", include_in_schema=False)
@app.get(
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


@app.head("/idle", include_in_schema=False)
@app.get("/idle", tags=["demo"], response_model=Status)
async def idle() -> Response:
    """The blog's "idle" test: no database."""
    return JSONResponse(IDLE)


@app.head("/healthz", include_in_schema=False)
@app.get("/healthz", tags=["probes"], response_model=Status)
async def healthz() -> Response:
    """Liveness: the process answers; never touches the database."""
    return JSONResponse(OK)


@app.head("/readyz", include_in_schema=False)
@app.get("/readyz", tags=["probes"], response_model=Status, responses=UNAVAILABLE)
async def readyz(pool: PoolDep) -> Response:
    """Readiness: the table answers through the pool within its deadlines, else 503."""
    await pool.ping()
    return JSONResponse(READY)
