"""The application: routes, middleware, exception handlers and lifespan, then ``Starlette``.

As https://www.starlette.io/config/ ("A full example") and https://www.starlette.io/lifespan/.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route

from app import db, endpoints
from app.errors import EXCEPTION_HANDLERS


class State(TypedDict):
    """What the lifespan shares with requests: ``request.state["pool"]``."""

    pool: db.Pool


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[State]:
    # Each worker process opens its own pool before it serves a request, and closes it after
    # the last one; the pool starts even while MySQL is down.
    pool = db.Pool()
    await pool.open()
    try:
        yield {"pool": pool}
    finally:
        await pool.close()


# methods=["GET"] also routes HEAD; every other method is a 405 (app.errors).
routes = [
    Route("/demo", endpoints.demo, methods=["GET"]),
    Route("/idle", endpoints.idle, methods=["GET"]),
    Route("/healthz", endpoints.healthz, methods=["GET"]),
    Route("/readyz", endpoints.readyz, methods=["GET"]),
]

# A JSON API behind a load balancer needs none (no sessions, CORS, compression or hosts).
middleware: list[Middleware] = []

app = Starlette(
    routes=routes,
    middleware=middleware,
    exception_handlers=EXCEPTION_HANDLERS,
    lifespan=lifespan,
)
# "/demo/" is a 404 like any unknown path, not a redirect to "/demo"; Starlette() has no
# argument for this, its router has (https://www.starlette.io/routing/).
app.router.redirect_slashes = False
