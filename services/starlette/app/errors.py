"""Exception handlers: every error is the contract's JSON body (README.md, the contract).

https://www.starlette.io/exceptions/ - handlers keyed by status code catch the router's own
404 and 405 ``HTTPException``s. The ``Exception`` handler runs in ``ServerErrorMiddleware``,
which answers with it and then re-raises, as ASGI asks, so that the server logs the error:
uvicorn does, in one line (app.log).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ExceptionHandler

from app.db import DatabaseUnavailable
from app.query import InvalidName, InvalidQuery
from app.responses import ORJSONResponse

logger = logging.getLogger(__name__)

# Starlette builds its Allow header from a set, in no fixed order; the contract fixes one.
ALLOW = {"Allow": "GET, HEAD"}


def error(
    status_code: int, code: str, detail: str, headers: Mapping[str, str] | None = None
) -> Response:
    return ORJSONResponse({"error": code, "detail": detail}, status_code, headers)


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
    # One line, with the driver's own words: they belong in the log, never in the response.
    logger.warning("%s %s: database unavailable: %s", request.method, request.url.path, exc)
    return error(503, "database_unavailable", "The database is unavailable.")


async def internal_error(request: Request, exc: Exception) -> Response:
    return error(500, "internal_error", "Internal server error.")


EXCEPTION_HANDLERS: dict[Any, ExceptionHandler] = {
    InvalidQuery: invalid_query,
    InvalidName: invalid_name,
    404: not_found,
    405: method_not_allowed,
    DatabaseUnavailable: database_unavailable,
    Exception: internal_error,
}
