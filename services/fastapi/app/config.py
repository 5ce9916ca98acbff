"""Settings: the environment, validated once at start, as https://fastapi.tiangolo.com/advanced/settings/.

``get_settings`` is also the dependency that tests override (``app.dependency_overrides``).
``DATABASE_URL`` becomes the driver's connect arguments, TLS included.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import BeforeValidator, Field, PlainValidator, ValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# MySQL's own client option values (https://dev.mysql.com/doc/refman/8.4/en/connection-options.html).
SSL_MODES = ("DISABLED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY")
BOOLEANS = {"true": True, "1": True, "yes": True, "on": True}
BOOLEANS |= {"false": False, "0": False, "no": False, "off": False}


@dataclass(frozen=True)
class MySQL:
    """Where and how to connect: ``DATABASE_URL``, parsed."""

    user: str
    password: str
    host: str
    port: int
    database: str
    ssl: ssl.SSLContext | None


def parse_database_url(value: Any) -> MySQL:
    """``mysql://USER:PASSWORD@HOST[:PORT]/DATABASE[?ssl-mode=MODE[&ssl-ca=PATH]]``."""
    if isinstance(value, MySQL):
        return value
    url = urlsplit(str(value))
    if url.scheme != "mysql":
        raise ValueError("the scheme must be mysql://")
    if not url.hostname:
        raise ValueError("a host is required")
    try:
        port = 3306 if url.port is None else url.port  # urllib refuses past 65535
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError("the port must be an integer from 1 to 65535")
    database = unquote(url.path.removeprefix("/"))
    if not database or "/" in database:
        raise ValueError("one database name is required after the host")
    if url.fragment:
        raise ValueError("no #fragment")
    options: dict[str, str] = {}
    for key, option in parse_qsl(url.query, keep_blank_values=True):
        if key not in ("ssl-mode", "ssl-ca") or key in options:
            raise ValueError("the only options are ssl-mode and ssl-ca, each at most once")
        options[key] = option
    return MySQL(
        user=unquote(url.username or ""),
        password=unquote(url.password or ""),
        host=url.hostname,
        port=port,
        database=database,
        ssl=tls_context(options.get("ssl-mode", "DISABLED").upper(), options.get("ssl-ca")),
    )


def tls_context(mode: str, ca: str | None) -> ssl.SSLContext | None:
    """The TLS that ssl-mode and ssl-ca ask for; None for none."""
    if mode not in SSL_MODES:
        raise ValueError(f"ssl-mode must be one of {', '.join(SSL_MODES)}")
    if mode == "DISABLED":
        if ca is not None:
            raise ValueError("ssl-ca needs an ssl-mode other than DISABLED")
        return None
    try:
        # With no ssl-ca, the system's CA store.
        context = ssl.create_default_context(cafile=ca or None)
    except (OSError, ssl.SSLError) as error:
        raise ValueError(f"ssl-ca is not a readable PEM file of certificates ({error})") from None
    context.check_hostname = mode == "VERIFY_IDENTITY"
    if mode == "REQUIRED":
        context.verify_mode = ssl.CERT_NONE
    return context


def parse_boolean(value: Any) -> Any:
    if isinstance(value, str):
        if value.lower() not in BOOLEANS:
            raise ValueError(f"must be one of {', '.join(BOOLEANS)}")
        return BOOLEANS[value.lower()]
    return value


Positive = Annotated[int, Field(ge=1)]
Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Settings(BaseSettings):
    """The service's whole configuration, from environment variables of the same names."""

    # A refusal names the variable, never its value (DATABASE_URL holds a password).
    model_config = SettingsConfigDict(case_sensitive=True, hide_input_in_errors=True)

    # NoDecode: a URL, not the JSON that pydantic-settings expects for a structured field.
    DATABASE_URL: Annotated[MySQL, NoDecode, PlainValidator(parse_database_url)]
    PORT: Annotated[int, Field(ge=1, le=65535)] = 8000
    WEB_CONCURRENCY: Positive = 1
    # Per worker process: the service holds at most WEB_CONCURRENCY x DB_POOL_SIZE connections.
    DB_POOL_SIZE: Positive = 10
    DB_POOL_TIMEOUT: Seconds = 5.0
    DB_CONNECT_TIMEOUT: Seconds = 2.0
    DB_QUERY_TIMEOUT: Seconds = 5.0
    ACCESS_LOG: Annotated[bool, BeforeValidator(parse_boolean)] = False
    # Gunicorn-served services of the same contract also take gevent or threads.
    WORKER_MODEL: Literal["asyncio"] = "asyncio"


@lru_cache
def get_settings() -> Settings:
    """The settings, read from the environment on first use."""
    return Settings()  # type: ignore[call-arg]  # pydantic-settings fills the fields


def refusal(error: ValidationError) -> str:
    """``invalid configuration: NAME: why``, for the first invalid variable."""
    first = error.errors(include_url=False, include_input=False)[0]
    name = ".".join(str(part) for part in first["loc"])
    reason = first.get("ctx", {}).get("error") or first["msg"]
    return f"invalid configuration: {name}: {reason}"
