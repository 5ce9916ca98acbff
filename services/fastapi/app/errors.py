"""Exception handlers: every error is one of CONTRACT.md's JSON error bodies ("Errors").

https://fastapi.tiangolo.com/tutorial/handling-errors/ - handlers keyed by status code catch
the router's own 404 and 405 ``HTTPException``s; the ``Exception`` handler runs in Starlette's
``ServerErrorMiddleware``, which answers with it and re-raises, so uvicorn logs the traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from app.db import DatabaseUnavailable, describe
from app.query import InvalidName, InvalidQuery
from app.responses import JSONResponse, dumps

logger = logging.getLogger(__name__)


def _body(error: str, detail: str) -> bytes:
    return dumps({"error": error, "detail": detail})


# Rendered once: the bodies never change.
INVALID_QUERY = _body("invalid_query", "The query string is not valid percent-encoded UTF-8.")
INVALID_NAME = _body("invalid_name", "name must be given once, as 1 to 255 characters without NUL.")
NOT_FOUND = _body("not_found", "No such endpoint.")
METHOD_NOT_ALLOWED = _body("method_not_allowed", "Method not allowed.")
DATABASE_UNAVAILABLE = _body("database_unavailable", "The database is unavailable.")
INTERNAL_ERROR = _body("internal_error", "Internal server error.")

# Every route answers GET and HEAD only. Starlette builds its own Allow header from a set,
# in no fixed order; the contract fixes this one.
ALLOW = {"Allow": "GET, HEAD"}


async def invalid_query(request: Request, exc: Exception) -> Response:
    return JSONResponse(INVALID_QUERY, 400)


async def invalid_name(request: Request, exc: Exception) -> Response:
    return JSONResponse(INVALID_NAME, 400)


async def not_found(request: Request, exc: Exception) -> Response:
    return JSONResponse(NOT_FOUND, 404)


async def method_not_allowed(request: Request, exc: Exception) -> Response:
    return JSONResponse(METHOD_NOT_ALLOWED, 405, ALLOW)


async def database_unavailable(request: Request, exc: Exception) -> Response:
    # The driver's words go to the log, in one line, and never into the response.
    logger.warning(
        "%s %s: database unavailable: %s", request.method, request.url.path, describe(exc)
    )
    return JSONResponse(DATABASE_UNAVAILABLE, 503)


async def internal_error(request: Request, exc: Exception) -> Response:
    return JSONResponse(INTERNAL_ERROR, 500)


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
