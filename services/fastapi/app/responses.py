"""JSON responses rendered by orjson, returned directly so that FastAPI does no conversion.

FastAPI deprecates ``ORJSONResponse`` in favour of Pydantic serialising a declared response
model (https://fastapi.tiangolo.com/advanced/custom-response/#orjson-or-response-model). That
path validates every row into a model first, and Pydantic writes naive datetimes without the
``Z`` the contract needs. The rows here come from one fixed SQL statement, so they are dumped
as they are: a ``Response`` returned from a path operation skips FastAPI's validation and
serialisation (https://fastapi.tiangolo.com/advanced/response-directly/), and the routes still
declare their models for the OpenAPI schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi.responses import Response

# The session time_zone is '+00:00', so the driver's naive datetimes are UTC: write them with
# a "Z" (YYYY-MM-DDTHH:MM:SSZ, CONTRACT.md); the TIMESTAMP columns hold whole seconds.
OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS

# Exactly this Content-Type, without a charset parameter (JSON is UTF-8 by definition).
MEDIA_TYPE = "application/json"


def dumps(content: Any) -> bytes:
    """``content`` as JSON bytes, datetimes in the contract's UTC format."""
    return orjson.dumps(content, option=OPTIONS)


class JSONResponse(Response):
    """A JSON body rendered by orjson, or given as bytes already rendered."""

    media_type = MEDIA_TYPE

    def __init__(
        self,
        content: Any,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(content, status_code, headers, MEDIA_TYPE)

    def render(self, content: Any) -> bytes:
        # Constant bodies are rendered once, at import, and passed in as bytes.
        return content if isinstance(content, bytes) else dumps(content)
