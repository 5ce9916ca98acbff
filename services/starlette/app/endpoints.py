"""The four endpoints. Errors are raised and left to app.errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from app.query import random_name, requested_name
from app.responses import ORJSONResponse, render

if TYPE_CHECKING:  # app.main imports this module to build its routes
    from app.main import State

IDLE, OK, READY = (render({"status": status}) for status in ("idle", "ok", "ready"))


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
