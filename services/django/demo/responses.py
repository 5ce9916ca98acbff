"""JSON responses: orjson bodies, ``Content-Type: application/json`` exactly, and the errors.

Every body that never changes is serialised once, at import.
https://github.com/ijl/orjson#quickstart
"""

from enum import Enum

import orjson
from django.http import HttpResponse

CONTENT_TYPE = "application/json"


def json_response(body: bytes, status: int = 200) -> HttpResponse:
    """A response with an already serialised JSON body.

    With its length given, gunicorn sends it as is instead of chunked.
    """
    return HttpResponse(
        body,
        content_type=CONTENT_TYPE,
        status=status,
        headers={"Content-Length": str(len(body))},
    )


class ApiError(Enum):
    """The error table of the contract (README.md): status, ``error`` code and ``detail``."""

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
        self.body = orjson.dumps({"error": code, "detail": detail})

    def response(self) -> HttpResponse:
        return json_response(self.body, self.status)
