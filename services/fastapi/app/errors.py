"""Exception handlers: every error is one of the contract's JSON bodies (README.md, the contract).

https://fastapi.tiangolo.com/tutorial/handling-errors/ - handlers keyed by status code catch
the router's own 404 and 405. The ``Exception`` handler runs in Starlette's
``ServerErrorMiddleware``, which answers with it and then re-raises, as ASGI asks, so that the
server logs the error: uvicorn does, in one line (app.log).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from app.db import DatabaseUnavailable
from app.query import InvalidName, InvalidQuery

logger = logging.getLogger(__name__)

# Every route answers GET and HEAD only. Starlette builds its own Allow header from a set,
# in no fixed order; the contract fixes this one.
ALLOW = {"Allow": "GET, HEAD"}


def error(
    status_code: int, code: str, detail: str, headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse({"error": code, "detail": detail}, status_code, headers)


async def invalid_query(request: Request, exc: Exception) -> Response:
    return error(400, "invalid_query", "The query string is not valid percent-encoded UTF-8.")


async def invalid_name(request: Request, exc: Exception) -> Response:
    return error(
        400, "invalid_name", "name must be given once, as 1 to 255 characters without NUL."
    )


async def not_found(request: Request, exc: Exception) -> Response:
    return error(404, "not_found", "No such endpoint.")


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    return error(405, "method_not_allowed", "Method not allowed.", ALLOW)


async def database_unavailable(request: Request, exc: Exception) -> Response:
    # The driver's words go to the log, in one line, and never into the response.
    logger.warning("%s %s: database unavailable: %s", request.method, request.url.path, exc)
    return error(503, "database_unavailable", "The database is unavailable.")


async def internal_error(request: Request, exc: Exception) -> Response:
    return error(500, "internal_error", "Internal server error.")


Handler = Callable[[Request, Exception], Coroutine[Any, Any, Response]]

EXCEPTION_HANDLERS: dict[int | type[Exception], Handler] = {
    InvalidQuery: invalid_query,
    InvalidName: invalid_name,
    # No path operation declares a parameter FastAPI would validate (the query string is
    # parsed by app.query); should one ever fail, it is a bad query, never a 422.
    RequestValidationError: invalid_query,
    404: not_found,
    405: method_not_allowed,
    DatabaseUnavailable: database_unavailable,
    Exception: internal_error,
}
