"""JSON out: the contract's orjson options, and exactly ``application/json``."""

from __future__ import annotations

from datetime import datetime

import orjson

from app.responses import OPTIONS, ORJSONResponse


def test_the_contracts_options() -> None:
    assert OPTIONS == orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS


def test_naive_utc_timestamps_get_a_z_and_no_fraction() -> None:
    row = {"id": 1, "name": "é 😀", "create_time": datetime(2024, 8, 20, 1, 0, 0, 5), "x": None}
    response = ORJSONResponse([row])
    assert response.body == (
        '[{"id":1,"name":"é 😀","create_time":"2024-08-20T01:00:00Z","x":null}]'.encode()
    )
    assert response.headers["content-type"] == "application/json"
