"""The FastAPI application: the lifespan that owns the pool, the router, the error handlers.

- https://fastapi.tiangolo.com/advanced/events/ (lifespan: the pool is opened before the
  worker serves its first request and closed after its last)
- https://fastapi.tiangolo.com/tutorial/bigger-applications/ (one APIRouter, included)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from app.config import get_settings
from app.db import Pool
from app.errors import EXCEPTION_HANDLERS
from app.routes import router


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
    # CONTRACT.md: every other path is a 404, so no /docs, /redoc or /openapi.json.
    # The schema is still app.openapi(): see README.md.
    openapi_url=None,
    docs_url=None,
    redoc_url=None,
    # "/demo/" is a 404 like any unknown path, not a redirect to "/demo".
    redirect_slashes=False,
)
app.include_router(router)
