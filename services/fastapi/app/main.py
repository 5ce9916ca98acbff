"""The FastAPI application: the lifespan that owns the pool, the routers, the error handlers.

- https://fastapi.tiangolo.com/advanced/events/ (lifespan: the pool is opened before the
  worker serves its first request and closed after its last)
- https://fastapi.tiangolo.com/tutorial/bigger-applications/ (routers included by the app)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from fastapi import FastAPI

from app import routes
from app.config import get_settings
from app.db import Pool
from app.errors import EXCEPTION_HANDLERS


class State(TypedDict):
    """What the lifespan shares with every request: ``request.state.pool`` (app.deps)."""

    pool: Pool


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    # Each worker process has its own pool; it opens even while MySQL is down.
    pool = Pool(get_settings())
    await pool.open()
    try:
        yield {"pool": pool}
    finally:
        await pool.close()


app = FastAPI(
    title="demo-fastapi",
    summary="The blog's MySQL lookup on FastAPI, uvicorn and databases/aiomysql.",
    lifespan=lifespan,
    exception_handlers=EXCEPTION_HANDLERS,
    # FastAPI's native OpenTelemetry looks the global tracer, meter and logger providers up
    # on every request, to find that no SDK is configured: this service installs none.
    # Deploying with an OpenTelemetry SDK, drop this argument.
    telemetry={"tracing": False, "metrics": False, "logs": False},
    # The schema is served at /openapi.json, for clients and tools; the Swagger UI and ReDoc
    # pages are not (README.md says why).
    docs_url=None,
    redoc_url=None,
    # "/demo/" is a 404 like any unknown path, not a redirect to "/demo".
    redirect_slashes=False,
)
app.include_router(routes.router)
app.include_router(routes.probes)
