"""Response models: the contract's JSON bodies, validated and serialised by Pydantic.

A path operation's ``response_model`` filters and validates what it returns, and FastAPI
serialises it straight to JSON bytes with pydantic-core
(https://fastapi.tiangolo.com/tutorial/response-model/,
https://fastapi.tiangolo.com/advanced/custom-response/#orjson-or-response-model).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def as_utc(value: datetime) -> datetime:
    """The driver's naive datetimes are UTC (the session's time_zone is +00:00): say so."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# Serialised as YYYY-MM-DDTHH:MM:SSZ: TIMESTAMP columns hold whole seconds.
UTCDatetime = Annotated[datetime, AfterValidator(as_utc)]


class DemoRow(BaseModel):
    """One ``demo_data`` row; timestamps in UTC, ``YYYY-MM-DDTHH:MM:SSZ``, or null."""

    # Read from `databases` Records by attribute, as from ORM objects.
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(examples=[42])
    name: str = Field(examples=["aB3!"])
    create_time: UTCDatetime | None = Field(examples=["2024-08-20T01:00:00Z"])
    update_time: UTCDatetime | None = Field(examples=["2024-08-20T01:00:00Z"])


class Status(BaseModel):
    """The probes' and /idle's answer."""

    status: str = Field(examples=["ok"])


class Error(BaseModel):
    """Every error: a code and a fixed message (README.md, the contract)."""

    error: str = Field(examples=["database_unavailable"])
    detail: str = Field(examples=["The database is unavailable."])
