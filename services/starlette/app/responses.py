"""JSON written by orjson, as https://www.starlette.io/responses/#custom-json-serialization
shows; constant bodies are rendered once, at import, and passed as bytes."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse

# Naive datetimes are UTC (each connection's time_zone is +00:00): "2024-08-20T01:00:00Z".
OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS


def render(content: Any) -> bytes:
    return orjson.dumps(content, option=OPTIONS)


class ORJSONResponse(JSONResponse):
    """``application/json`` (no charset parameter), rendered by orjson, or given rendered."""

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else render(content)
