"""The four endpoints (README.md, the contract). Errors are raised and left to app.errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from app.query import random_name, requested_name
from app.responses import ORJSONResponse

if TYPE_CHECKING:  # app.main imports this module to build its routes
    from app.main import State


async def demo(request: Request[State]) -> Response:
    """The blog's lookup: rows named ``name``, or a random blog-style name when none is given."""
    name = requested_name(request.scope["query_string"]) or random_name()
    return ORJSONResponse(await request.state["pool"].lookup(name))


async def idle(request: Request[State]) -> Response:
    """The blog's "idle" test: no database."""
    return ORJSONResponse({"status": "idle"})


async def healthz(request: Request[State]) -> Response:
    """Liveness: the process answers. Never touches the database."""
    return ORJSONResponse({"status": "ok"})


async def readyz(request: Request[State]) -> Response:
    """Readiness: the table answers through the pool within its timeouts, else 503."""
    await request.state["pool"].ping()
    return ORJSONResponse({"status": "ready"})
