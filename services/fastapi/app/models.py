"""Response models, written as JSON by pydantic-core
(https://fastapi.tiangolo.com/advanced/custom-response/#orjson-or-response-model).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field


def zero_as_null(value: object) -> object:
    """A zero TIMESTAMP (``0000-00-00 00:00:00``) arrives as its text: null, like NULL."""
    return None if isinstance(value, str | bytes) else value


def as_utc(value: datetime | None) -> datetime | None:
    """The driver's naive datetimes are UTC (the session's time_zone is +00:00)."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


# Written as YYYY-MM-DDTHH:MM:SSZ: TIMESTAMP columns hold whole seconds.
Timestamp = Annotated[datetime | None, BeforeValidator(zero_as_null), AfterValidator(as_utc)]


class DemoRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read from SQLAlchemy's Rows

    id: int = Field(examples=[42])
    name: str = Field(examples=["aB3!"])
    create_time: Timestamp = Field(examples=["2024-08-20T01:00:00Z"])
    update_time: Timestamp = Field(examples=["2024-08-20T01:00:00Z"])


class Status(BaseModel):
    status: str = Field(examples=["ok"])


class ErrorBody(BaseModel):
    error: str = Field(examples=["database_unavailable"])
    detail: str = Field(examples=["The database is unavailable."])
