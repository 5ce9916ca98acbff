"""JSON responses rendered by orjson.

Starlette's documented way to change the encoder is a ``JSONResponse`` subclass overriding
``render`` (https://www.starlette.io/responses/#custom-json-serialization).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse

# aiomysql returns TIMESTAMP columns as naive datetimes which are UTC (the session time_zone
# is +00:00): written as "2024-08-20T01:00:00Z", the contract's format. TIMESTAMP without a
# fraction never has microseconds; omitting them keeps the format exact regardless.
OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS


class ORJSONResponse(JSONResponse):
    """``application/json`` (no charset parameter), UTF-8, timestamps as the contract says."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=OPTIONS)
