"""The FastAPI application: the lifespan that owns the database, the routers, the handlers.

https://fastapi.tiangolo.com/advanced/events/ (lifespan),
https://fastapi.tiangolo.com/tutorial/bigger-applications/ (routers).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from fastapi import FastAPI

from app import routes
from app.config import get_settings
from app.db import Database
from app.errors import EXCEPTION_HANDLERS


class State(TypedDict):
    """What every request finds in ``request.state`` (app.deps)."""

    database: Database


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    # A lifespan takes no dependencies: it honours an override of get_settings as requests do.
    settings = app.dependency_overrides.get(get_settings, get_settings)()
    database = Database(settings)
    await database.fill()
    # What start-up built lives as long as the process; frozen, the collector's full passes
    # skip it: over the ~90,000 objects of FastAPI, Pydantic and SQLAlchemy each took tens of
    # milliseconds, a stall that set the tail latency (README.md, "Tail latency").
    gc.collect()
    gc.freeze()
    try:
        yield {"database": database}
    finally:
        await database.close()


app = FastAPI(
    title="demo-fastapi",
    summary="A MySQL lookup on FastAPI, uvicorn and SQLAlchemy's asyncio engine.",
    lifespan=lifespan,
    exception_handlers=EXCEPTION_HANDLERS,
    # FastAPI's native OpenTelemetry looks up the global providers on every request, to find
    # that no SDK is configured. With an OpenTelemetry SDK, drop this argument.
    telemetry={"tracing": False, "metrics": False, "logs": False},
    # The schema stays at /openapi.json; the Swagger UI and ReDoc pages load a CDN's scripts.
    docs_url=None,
    redoc_url=None,
    # "/demo/" is a 404 like any unknown path, not a redirect to "/demo".
    redirect_slashes=False,
)
app.include_router(routes.router)
app.include_router(routes.probes)
