"""Flask's JSON through orjson: https://flask.palletsprojects.com/en/stable/api/#flask.json.provider.JSONProvider

mysqlclient returns TIMESTAMP columns as naive datetimes in the session time zone, which
db.py sets to +00:00: OPT_NAIVE_UTC says so and OPT_UTC_Z writes them as ``...Z``, without
fractions (OPT_OMIT_MICROSECONDS): the same options in the four services.
Anything orjson cannot encode is an error (no ``default=str``).
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response, current_app
from flask.json.provider import JSONProvider

OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS


class OrjsonProvider(JSONProvider):
    """Serialises views' return values (lists, dicts) and ``jsonify`` with orjson."""

    mimetype = "application/json"

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj, option=OPTIONS).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        # orjson's bytes go out as they are: no str round trip, no trailing newline.
        body = orjson.dumps(self._prepare_response_obj(args, kwargs), option=OPTIONS)
        return current_app.response_class(body, mimetype=self.mimetype)
