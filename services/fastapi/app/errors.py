"""The error table, one ``Error`` enum, and the exception handlers that answer with it.

https://fastapi.tiangolo.com/tutorial/handling-errors/
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


class Error(Enum):
    """Every error answer: its status, its code (the member's name) and its fixed message."""

    INVALID_QUERY = 400, "The query string is not valid percent-encoded UTF-8."
    INVALID_NAME = 400, "name must be given once, as 1 to 255 characters without NUL."
    NOT_FOUND = 404, "No such endpoint."
    METHOD_NOT_ALLOWED = 405, "Method not allowed."
    DATABASE_UNAVAILABLE = 503, "The database is unavailable."
    INTERNAL_ERROR = 500, "Internal server error."

    def __init__(self, status: int, detail: str) -> None:
        self.status = status
        self.code = self.name.lower()
        self.detail = detail
        self.body = json.dumps(
            {"error": self.code, "detail": detail}, separators=(",", ":")
        ).encode()
        # Every path answers GET and HEAD; routing would list the methods in no fixed order.
        self.headers = {"Allow": "GET, HEAD"} if status == 405 else None

    def response(self) -> Response:
        return Response(self.body, self.status, self.headers, media_type="application/json")

    async def handler(self, request: Request, exc: Exception) -> Response:
        return self.response()


async def database_unavailable(request: Request, exc: Exception) -> Response:
    # The driver's words go to the log, in one line, and never into the response.
    logger.warning("database unavailable: %s", describe(exc))
    return Error.DATABASE_UNAVAILABLE.response()


Handler = Callable[[Request, Exception], Coroutine[Any, Any, Response]]
EXCEPTION_HANDLERS: dict[int | type[Exception], Handler] = {
    InvalidQuery: Error.INVALID_QUERY.handler,
    InvalidName: Error.INVALID_NAME.handler,
    # Path operations declare no parameter that FastAPI validates; should one ever, a 400.
    RequestValidationError: Error.INVALID_QUERY.handler,
    404: Error.NOT_FOUND.handler,
    405: Error.METHOD_NOT_ALLOWED.handler,
    # The driver's and the database's errors, a pool or query deadline, a refused connect.
    sqlalchemy.exc.DBAPIError: database_unavailable,
    sqlalchemy.exc.TimeoutError: database_unavailable,
    OSError: database_unavailable,
    Exception: Error.INTERNAL_ERROR.handler,
}
