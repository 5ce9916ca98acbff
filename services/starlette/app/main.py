"""The application as Starlette's docs lay one out: endpoints, ``routes``, a typed lifespan
state, then ``Starlette(...)`` (https://www.starlette.io/config/, /lifespan/)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app import db
from app.errors import EXCEPTION_HANDLERS
from app.query import random_name, requested_name
from app.responses import ORJSONResponse, render

IDLE, OK, READY = (render({"status": status}) for status in ("idle", "ok", "ready"))


class State(TypedDict):
    pool: db.Pool


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[State]:
    # Each worker process opens its own pool before it serves, and closes it after the last
    # request; the pool starts even while MySQL is down.
    pool = db.Pool()
    await pool.open()
    try:
        yield {"pool": pool}
    finally:
        await pool.close()


async def demo(request: Request[State]) -> Response:
    """The rows named ``name``, or those of a random name when none is given."""
    name = requested_name(request.scope["query_string"]) or random_name()
    return ORJSONResponse(await request.state["pool"].lookup(name))


async def idle(request: Request[State]) -> Response:
    """No database: the framework's own cost."""
    return ORJSONResponse(IDLE)


async def healthz(request: Request[State]) -> Response:
    """Liveness: the process answers. Never touches the database."""
    return ORJSONResponse(OK)


async def readyz(request: Request[State]) -> Response:
    """Readiness: the table answers through the pool within its deadlines, else 503."""
    await request.state["pool"].ping()
    return ORJSONResponse(READY)


# methods=["GET"] also routes HEAD; every other method is a 405 (app.errors).
routes = [
    Route("/demo", demo, methods=["GET"]),
    Route("/idle", idle, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/readyz", readyz, methods=["GET"]),
]

app = Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS, lifespan=lifespan)
# "/demo/" is a 404 like any unknown path, not a redirect; Starlette() has no argument for
# this, its router has (https://www.starlette.io/routing/).
app.router.redirect_slashes = False
