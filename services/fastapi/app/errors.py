"""The error table, one ``Error`` enum, and the exception handlers that answer with it.

Handlers keyed by status code catch routing's own 404 and 405
(https://fastapi.tiangolo.com/tutorial/handling-errors/). The ``Exception`` handler answers a
bug with the 500 body, then the server logs it (app.log).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Coroutine
from enum import Enum
from typing import Any

import sqlalchemy.exc
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError

from app.db import describe
from app.query import InvalidName, InvalidQuery

logger = logging.getLogger(__name__)

JSON = "application/json"


class Error(Enum):
    """Every error answer: its status, its code and its fixed message."""

    INVALID_QUERY = 400, "invalid_query", "The query string is not valid percent-encoded UTF-8."
    INVALID_NAME = (
        400,
        "invalid_name",
        "name must be given once, as 1 to 255 characters without NUL.",
    )
    NOT_FOUND = 404, "not_found", "No such endpoint."
    METHOD_NOT_ALLOWED = 405, "method_not_allowed", "Method not allowed."
    DATABASE_UNAVAILABLE = 503, "database_unavailable", "The database is unavailable."
    INTERNAL_ERROR = 500, "internal_error", "Internal server error."

    def __init__(self, status: int, code: str, detail: str) -> None:
        self.status = status
        self.code = code
        self.detail = detail
        self.body = json.dumps({"error": code, "detail": detail}, separators=(",", ":")).encode()
        # Every path answers GET and HEAD; routing would list the methods in no fixed order.
        self.headers = {"Allow": "GET, HEAD"} if status == 405 else None

    def response(self) -> Response:
        return Response(self.body, self.status, self.headers, media_type=JSON)


Handler = Callable[[Request, Exception], Coroutine[Any, Any, Response]]


def answer(error: Error) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        return error.response()

    return handler


async def database_unavailable(request: Request, exc: Exception) -> Response:
    # The driver's words go to the log, in one line, and never into the response.
    logger.warning("database unavailable: %s", describe(exc))
    return Error.DATABASE_UNAVAILABLE.response()


EXCEPTION_HANDLERS: dict[int | type[Exception], Handler] = {
    InvalidQuery: answer(Error.INVALID_QUERY),
    InvalidName: answer(Error.INVALID_NAME),
    # No path operation declares a parameter that FastAPI would validate (app.query parses the
    # query string); should one ever fail, it is a bad query, never a 422.
    RequestValidationError: answer(Error.INVALID_QUERY),
    404: answer(Error.NOT_FOUND),
    405: answer(Error.METHOD_NOT_ALLOWED),
    # The driver's and the database's errors, a pool or query deadline, a refused connect.
    sqlalchemy.exc.DBAPIError: database_unavailable,
    sqlalchemy.exc.TimeoutError: database_unavailable,
    OSError: database_unavailable,
    Exception: answer(Error.INTERNAL_ERROR),
}
