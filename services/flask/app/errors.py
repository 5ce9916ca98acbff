"""JSON error responses, exactly as the contract's error table says.

Registered on the app rather than the blueprint: a blueprint's handlers never see routing
errors (404, 405). https://flask.palletsprojects.com/en/stable/errorhandling/
"""

from __future__ import annotations

import traceback
from typing import ClassVar

import orjson
from flask import Flask, Response, current_app, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

# Every endpoint answers GET and HEAD only.
ALLOW = "GET, HEAD"

# What "the database is unavailable" means (README.md, "The contract"): any error the
# driver or the database reports (SQLAlchemy wraps each DB-API error in a DBAPIError:
# OperationalError such as 2003 can't connect or 2013 lost connection, ProgrammingError such
# as a missing table or grant, InterfaceError, ...), a connection found unusable, or no
# pooled connection to spare within DB_POOL_TIMEOUT.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    sa_exc.DBAPIError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
)


class APIError(Exception):
    """An answer from the contract's error table; subclasses fill in the row."""

    status: ClassVar[int]
    error: ClassVar[str]
    detail: ClassVar[str]
    body: ClassVar[bytes]

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        cls.body = orjson.dumps({"error": cls.error, "detail": cls.detail})  # once, not per request

    @classmethod
    def response(cls) -> Response:
        headers = {"Allow": ALLOW} if cls.status == 405 else None
        return current_app.response_class(
            cls.body, status=cls.status, headers=headers, mimetype="application/json"
        )


class InvalidQuery(APIError):
    status = 400
    error = "invalid_query"
    detail = "The query string is not valid percent-encoded UTF-8."


class InvalidName(APIError):
    status = 400
    error = "invalid_name"
    detail = "name must be given once, as 1 to 255 characters without NUL."


class EndpointNotFound(APIError):
    status = 404
    error = "not_found"
    detail = "No such endpoint."


class MethodNotAllowedError(APIError):
    status = 405
    error = "method_not_allowed"
    detail = "Method not allowed."


class DatabaseUnavailable(APIError):
    status = 503
    error = "database_unavailable"
    detail = "The database is unavailable."


class InternalError(APIError):
    status = 500
    error = "internal_error"
    detail = "Internal server error."


def init_app(app: Flask) -> None:
    """Answer every error the app can raise with a JSON error body."""
    app.register_error_handler(APIError, _api_error)
    app.register_error_handler(NotFound, _not_found)
    # werkzeug builds its Allow header from a set, in no fixed order: ours is fixed.
    app.register_error_handler(MethodNotAllowed, _method_not_allowed)
    for error in DATABASE_UNAVAILABLE:
        app.register_error_handler(error, _database_unavailable)
    # Catching Exception here, before Flask's own 500 path, keeps the log to one line.
    app.register_error_handler(Exception, _unexpected)


def _api_error(error: APIError) -> Response:
    return error.response()


def _not_found(error: NotFound) -> Response:
    return EndpointNotFound.response()


def _method_not_allowed(error: MethodNotAllowed) -> Response:
    return MethodNotAllowedError.response()


def _database_unavailable(error: Exception) -> Response:
    current_app.logger.warning(
        "Database unavailable on %s %s: %s", request.method, request.path, one_line(error)
    )
    return DatabaseUnavailable.response()


def _unexpected(error: Exception) -> Response | HTTPException:
    if isinstance(error, HTTPException) and error.code is not None and error.code < 500:
        return error  # any other client error keeps werkzeug's own answer
    where = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
    location = f" at {where[0].filename}:{where[0].lineno}" if where else ""
    current_app.logger.error(
        "Unexpected error on %s %s: %s%s", request.method, request.path, one_line(error), location
    )
    return InternalError.response()


def one_line(error: BaseException) -> str:
    """``Type: message`` on one line, for the log.

    For a driver error, the driver's own exception: SQLAlchemy's wrapper repeats the SQL and
    its parameters (the caller's input) and adds a line with a documentation link.
    """
    if isinstance(error, sa_exc.DBAPIError) and error.orig is not None:
        error = error.orig
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__
