"""The error table (``Error``) and the exception handlers that answer with it
(https://www.starlette.io/exceptions/); uvicorn logs a 500's exception after its answer."""

from __future__ import annotations

import enum
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ExceptionHandler

from app.db import DatabaseUnavailable
from app.query import InvalidName, InvalidQuery
from app.responses import ORJSONResponse, render

logger = logging.getLogger(__name__)


class Error(enum.Enum):
    """Every error answer: its status, its code and detail, and their body, rendered once."""

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
        self.status, self.code, self.detail = status, code, detail
        self.body = render({"error": code, "detail": detail})
        # Starlette builds a 405's Allow header from a set, in no fixed order: fixed here.
        self.headers = {"Allow": "GET, HEAD"} if status == 405 else None

    async def handle(self, request: Request, exc: Exception) -> Response:
        """The exception handler that answers with this error."""
        if self is Error.DATABASE_UNAVAILABLE:  # the driver's words: in the log, never the body
            logger.warning("database unavailable: %s", exc)
        return ORJSONResponse(self.body, self.status, self.headers)


EXCEPTION_HANDLERS: dict[Any, ExceptionHandler] = {
    InvalidQuery: Error.INVALID_QUERY.handle,
    InvalidName: Error.INVALID_NAME.handle,
    404: Error.NOT_FOUND.handle,
    405: Error.METHOD_NOT_ALLOWED.handle,
    DatabaseUnavailable: Error.DATABASE_UNAVAILABLE.handle,
    Exception: Error.INTERNAL_ERROR.handle,
}
