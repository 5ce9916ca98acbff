"""Response models: the shapes of CONTRACT.md's JSON bodies, for the OpenAPI schema.

The path operations return ``Response`` objects rendered by orjson (app.responses), so these
models document the API without validating every response
(https://fastapi.tiangolo.com/tutorial/response-model/).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class DemoRow(BaseModel):
    """One ``demo_data`` row; timestamps are UTC, ``YYYY-MM-DDTHH:MM:SSZ``, or null."""

    id: int = Field(examples=[42])
    name: str = Field(examples=["aB3!"])
    create_time: datetime | None = Field(examples=["2024-08-20T01:00:00Z"])
    update_time: datetime | None = Field(examples=["2024-08-20T01:00:00Z"])


class Status(BaseModel):
    """The probes' and /idle's constant answer."""

    status: str = Field(examples=["ok"])


class Error(BaseModel):
    """Every error: a code and a fixed message (CONTRACT.md, "Errors")."""

    error: str = Field(examples=["database_unavailable"])
    detail: str = Field(examples=["The database is unavailable."])
