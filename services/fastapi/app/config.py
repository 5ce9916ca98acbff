"""Settings from the environment, validated once at start (https://fastapi.tiangolo.com/advanced/settings/).

``get_settings`` is also the dependency that tests override (``app.dependency_overrides``).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import BeforeValidator, Field, PlainValidator, ValidationError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy import URL

# MySQL's own client option values (https://dev.mysql.com/doc/refman/8.4/en/connection-options.html).
SSL_MODES = ("DISABLED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY")
BOOLEANS = {"true": True, "1": True, "yes": True, "on": True}
BOOLEANS |= {"false": False, "0": False, "no": False, "off": False}


@dataclass(frozen=True)
class MySQL:
    url: URL
    ssl: ssl.SSLContext | None


def parse_database_url(value: Any) -> MySQL:
    """``mysql://USER:PASSWORD@HOST[:PORT]/DATABASE[?ssl-mode=MODE[&ssl-ca=PATH]]``."""
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
    # Blank values kept: "?ssl-mode" alone is refused, never read as no TLS.
    options: dict[str, str] = {}
    for key, option in parse_qsl(url.query, keep_blank_values=True):
        if key not in ("ssl-mode", "ssl-ca") or key in options:
            raise ValueError("the only options are ssl-mode and ssl-ca, each at most once")
        options[key] = option
    context = tls_context(options.get("ssl-mode", "DISABLED").upper(), options.get("ssl-ca"))
    user, password = unquote(url.username or ""), unquote(url.password or "")
    return MySQL(URL.create("mysql", user, password, url.hostname, port, database), context)


def tls_context(mode: str, ca: str | None) -> ssl.SSLContext | None:
    """The TLS that ssl-mode and ssl-ca ask for; None for none."""
    if mode not in SSL_MODES:
        raise ValueError(f"ssl-mode must be one of {', '.join(SSL_MODES)}")
    if mode == "DISABLED":
        if ca is not None:
            raise ValueError("ssl-ca needs an ssl-mode other than DISABLED")
        return None
    if ca == "":
        raise ValueError("ssl-ca is empty: name a PEM file, or leave it out for the system's CAs")
    try:
        context = ssl.create_default_context(cafile=ca)  # no ssl-ca: the system's CAs
    except (OSError, ssl.SSLError) as error:
        raise ValueError(f"ssl-ca is not a readable PEM file of certificates ({error})") from None
    context.check_hostname = mode == "VERIFY_IDENTITY"
    if mode == "REQUIRED":
        context.verify_mode = ssl.CERT_NONE
    return context


def parse_boolean(value: Any) -> Any:
    """One of BOOLEANS, any case (pydantic's own bool would also take t, f, y and n)."""
    if not isinstance(value, str):
        return value
    if value.lower() not in BOOLEANS:
        raise ValueError(f"must be one of {', '.join(BOOLEANS)}")
    return BOOLEANS[value.lower()]


Positive = Annotated[int, Field(ge=1)]
Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Settings(BaseSettings):
    """Environment variables of the same names."""

    # A refusal names the variable, never its value (DATABASE_URL holds a password).
    model_config = SettingsConfigDict(case_sensitive=True, hide_input_in_errors=True)

    # NoDecode: a URL, not the JSON that pydantic-settings expects for a structured field.
    DATABASE_URL: Annotated[MySQL, NoDecode, PlainValidator(parse_database_url)]
    PORT: Annotated[int, Field(ge=1, le=65535)] = 8000
    WEB_CONCURRENCY: Positive = 1
    DB_POOL_SIZE: Positive = 10  # per worker process
    DB_POOL_TIMEOUT: Seconds = 5.0
    DB_CONNECT_TIMEOUT: Seconds = 2.0
    DB_QUERY_TIMEOUT: Seconds = 5.0
    ACCESS_LOG: Annotated[bool, BeforeValidator(parse_boolean)] = False
    # The concurrency model: asyncio (uvicorn's event loop) only; anything else is refused.
    WORKER_MODEL: Literal["asyncio"] = "asyncio"


@lru_cache
def get_settings() -> Settings:
    return Settings()  # type: ignore[call-arg]  # pydantic-settings fills the fields


def refusal(error: ValidationError) -> str:
    """``invalid configuration: NAME: why``, for the first invalid variable."""
    first = error.errors(include_url=False, include_input=False)[0]
    reason = first.get("ctx", {}).get("error") or first["msg"]
    return f"invalid configuration: {'.'.join(map(str, first['loc']))}: {reason}"
