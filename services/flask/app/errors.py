"""The error table as one enum, and the exceptions mapped to its answers.

https://flask.palletsprojects.com/en/stable/errorhandling/
"""

from __future__ import annotations

import enum

import orjson
from flask import Flask, Response, current_app, request
from sqlalchemy import exc
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound


class Error(enum.Enum):
    """An answer of the error table: its status, code and detail, the body rendered once."""

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
        self.body = orjson.dumps({"error": code, "detail": detail})

    def response(self) -> Response:
        # werkzeug builds its Allow header from a set, in no fixed order: this one is fixed.
        headers = {"Allow": "GET, HEAD"} if self.status == 405 else None
        return Response(self.body, self.status, headers, mimetype="application/json")


class Refused(Exception):
    """A request answered with ``error`` (raised by the views)."""

    def __init__(self, error: Error) -> None:
        super().__init__(error.code)
        self.error = error


# A database error: anything the driver or the server reports (SQLAlchemy wraps each DB-API
# error in a DBAPIError), or no pooled connection within DB_POOL_TIMEOUT.
DATABASE_ERRORS = (exc.DBAPIError, exc.DisconnectionError, exc.TimeoutError)


def init_app(app: Flask) -> None:
    """Answer every error with a body of the table (on the app: a blueprint's handlers never
    see routing errors, 404 and 405)."""
    app.register_error_handler(Refused, lambda refused: refused.error.response())
    app.register_error_handler(NotFound, lambda _: Error.NOT_FOUND.response())
    app.register_error_handler(MethodNotAllowed, lambda _: Error.METHOD_NOT_ALLOWED.response())
    for error in DATABASE_ERRORS:
        app.register_error_handler(error, database_unavailable)
    # Before Flask's own 500 path, which would log a traceback.
    app.register_error_handler(Exception, unexpected)


def database_unavailable(error: Exception) -> Response:
    current_app.logger.warning("database unavailable: %s", describe(error))
    return Error.DATABASE_UNAVAILABLE.response()


def unexpected(error: Exception) -> Response | HTTPException:
    if isinstance(error, HTTPException) and error.code is not None and error.code < 500:
        return error  # another client error keeps werkzeug's own answer
    message = f"unexpected error on {request.method} {request.path}"
    current_app.logger.error(message, exc_info=error)
    return Error.INTERNAL_ERROR.response()


def describe(error: BaseException) -> str:
    """``Class (code): message`` of the driver's own error, on one line (SQLAlchemy's wrapper
    would repeat the SQL and its parameters, the caller's input)."""
    if isinstance(error, exc.DBAPIError) and error.orig is not None:
        error = error.orig
    args = error.args
    if len(args) == 2 and isinstance(args[0], int):  # MySQLdb: (code, message)
        return f"{type(error).__name__} ({args[0]}): {' '.join(str(args[1]).split())}"
    return f"{type(error).__name__}: {' '.join(str(error).split())}"
