"""Settings: read once from the environment, validated, and cached.

One typed ``Settings`` class, as in fastapi/full-stack-fastapi-template's ``core/config.py``,
cached by ``get_settings()`` as in https://fastapi.tiangolo.com/advanced/settings/ ("Creating
the Settings only once with lru_cache"). pydantic-settings maps each field to the environment
variable of the same name (https://docs.pydantic.dev/latest/concepts/pydantic_settings/); the
names and defaults are the contract's (README.md, "Configuration"). A missing or malformed
value stops the process at startup with a message naming the variable.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from pydantic import Field, MySQLDsn, PositiveFloat, PositiveInt, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Port = Annotated[int, Field(ge=1, le=65535)]


class Settings(BaseSettings):
    """The service's whole configuration (environment only: no ``.env`` file is read)."""

    model_config = SettingsConfigDict(
        case_sensitive=True,
        # A validation error must not print DATABASE_URL's password into the logs.
        hide_input_in_errors=True,
    )

    # mysql://user:password@host:port/database, user and password percent-encoded.
    DATABASE_URL: MySQLDsn
    PORT: Port = 8000
    WEB_CONCURRENCY: PositiveInt = 1
    # Per worker process: the service holds at most WEB_CONCURRENCY x DB_POOL_SIZE connections.
    DB_POOL_SIZE: PositiveInt = 10
    # Seconds: waiting for a free pooled connection, opening one, running a query.
    DB_POOL_TIMEOUT: PositiveFloat = 5.0
    DB_CONNECT_TIMEOUT: PositiveFloat = 2.0
    DB_QUERY_TIMEOUT: PositiveFloat = 5.0
    ACCESS_LOG: bool = False

    @field_validator("DATABASE_URL")
    @classmethod
    def _plain_mysql_url(cls, url: MySQLDsn) -> MySQLDsn:
        # MySQLDsn also accepts driver schemes (mysql+asyncmy, ...) that would make `databases`
        # pick another driver, and URL options that it would pass to aiomysql unchecked.
        if url.scheme != "mysql":
            raise ValueError("the scheme must be mysql://")
        if not url.username:
            raise ValueError("a user is required: mysql://user:password@host:port/database")
        database = (url.path or "").removeprefix("/")
        if not database or "/" in database:
            raise ValueError("one database name is required: mysql://user@host:port/database")
        if url.query or url.fragment:
            raise ValueError("no ?query or #fragment: the pool is configured by DB_* variables")
        return url


@lru_cache
def get_settings() -> Settings:
    """The settings, read from the environment on first use."""
    # pydantic-settings fills the required fields from the environment; mypy, which sees
    # only the model's signature, would want DATABASE_URL as an argument.
    return Settings()  # type: ignore[call-arg]
