"""The error table, one ``Error`` enum, and the exceptions mapped to its responses.

A database error is a 503 logged at WARNING; anything else goes Django's 500 path.
https://docs.djangoproject.com/en/6.1/topics/http/middleware/#process-exception
"""

import logging
from collections.abc import Callable
from enum import Enum

import orjson
from django import db
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.log import log_response

from demo.query import InvalidName, InvalidQuery

logger = logging.getLogger(__name__)


def json_response(body: bytes, status: int = 200) -> HttpResponse:
    """A JSON body with its length (gunicorn then never chunks)."""
    return HttpResponse(
        body,
        content_type="application/json",
        status=status,
        headers={"Content-Length": str(len(body))},
    )


class Error(Enum):
    """Status, ``error`` code and ``detail``; the body rendered once."""

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

    def response(self) -> HttpResponse:
        return json_response(self.body, self.status)


CLIENT_ERRORS: dict[type[Exception], Error] = {
    InvalidQuery: Error.INVALID_QUERY,
    InvalidName: Error.INVALID_NAME,
}


class ErrorMiddleware:
    """Answers what views raise from the table."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed):  # from @require_safe
            allow = response["Allow"]
            response = Error.METHOD_NOT_ALLOWED.response()
            response["Allow"] = allow
        return response

    def process_exception(self, request: HttpRequest, error: Exception) -> HttpResponse | None:
        if type(error) in CLIENT_ERRORS:
            return CLIENT_ERRORS[type(error)].response()
        if not isinstance(error, db.Error):
            return None  # a bug: Django logs it and calls handler500
        response = Error.DATABASE_UNAVAILABLE.response()
        code = f" ({error.args[0]})" if error.args and isinstance(error.args[0], int) else ""
        message = " ".join(str(error.args[-1] if error.args else "").split())
        # log_response() marks it logged, or Django would log it again at ERROR.
        log_response(
            "database unavailable: %s%s: %s",
            type(error).__name__,
            code,
            message,
            response=response,
            request=request,
            logger=logger,
            level="warning",
        )
        return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler404``: any unknown path, whatever the method."""
    return Error.NOT_FOUND.response()


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: Django has already logged the exception."""
    return Error.INTERNAL_ERROR.response()
