"""Settings, read once from the environment with Starlette's ``Config`` and checked: a refused
value logs why, never the password, and exits (https://www.starlette.io/config/)."""

from __future__ import annotations

import logging
import math
import ssl
import sys
from collections.abc import Callable
from urllib.parse import parse_qsl, unquote, urlsplit

from databases import DatabaseURL
from starlette.config import Config

config = Config()  # the environment only: a container has no .env file
logger = logging.getLogger(__name__)

# MySQL's client option names and modes (dev.mysql.com/doc/refman/8.4/en/connection-options.html)
SSL_MODES = ("DISABLED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY")
FLAGS = dict.fromkeys(("true", "1", "yes", "on"), True)
FLAGS |= dict.fromkeys(("false", "0", "no", "off"), False)


def read[T](name: str, parse: Callable[[str], T], default: str | None = None) -> T:
    """``parse`` applied to the variable; a refused value logs why and exits."""
    value: str | None = config(name, default=default)
    try:
        if value is None:
            raise ValueError("required")
        return parse(value)
    except ValueError as error:
        logger.error("invalid configuration: %s: %s", name, error)
        sys.exit(1)


def integer(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    bounds = f"from {minimum} to {maximum}" if maximum else f">= {minimum}"

    def parse(value: str) -> int:
        number = int(value)
        if number < minimum or (maximum and number > maximum):
            raise ValueError(f"{number} is not an integer {bounds}")
        return number

    return parse


def seconds(value: str) -> float:
    if not (math.isfinite(float(value)) and float(value) > 0):
        raise ValueError(f"{value!r} is not a finite number of seconds above 0")
    return float(value)


def flag(value: str) -> bool:
    if value.lower() not in FLAGS:
        raise ValueError(f"{value!r} is not one of {'/'.join(FLAGS)}")
    return FLAGS[value.lower()]


def asyncio_only(value: str) -> str:
    if value != "asyncio":
        raise ValueError(f"{value!r}: this service runs on asyncio only")
    return value


def database(value: str) -> tuple[DatabaseURL, ssl.SSLContext | None]:
    """``mysql://USER:PASSWORD@HOST[:PORT]/DATABASE[?ssl-mode=MODE[&ssl-ca=PATH]]`` as the
    URL `databases` takes and the TLS context aiomysql takes. Errors never quote the URL."""
    url = urlsplit(value)
    if url.fragment:
        raise ValueError("a '#' in the URL (percent-encode it in the password)")
    if url.scheme != "mysql":
        raise ValueError("the scheme must be mysql://")
    if not url.username or not url.hostname:
        raise ValueError("a user and a host are required")
    try:
        if url.port == 0:
            raise ValueError
    except ValueError:
        raise ValueError("the port must be an integer 1-65535") from None
    if not unquote(url.path[1:]) or "/" in url.path[1:]:
        raise ValueError("a database name is required")
    options: dict[str, str] = {}
    for key, option in parse_qsl(url.query, keep_blank_values=True):
        if key not in ("ssl-mode", "ssl-ca") or key in options:
            raise ValueError(f"query option {key!r}: only ssl-mode and ssl-ca, once each")
        options[key] = option
    context = tls(options.get("ssl-mode", "DISABLED"), options.get("ssl-ca"))
    return DatabaseURL(value).replace(query=""), context


def tls(mode: str, ca: str | None) -> ssl.SSLContext | None:
    """The TLS context for an ssl-mode and an optional CA file (PEM)."""
    mode = mode.upper()
    if mode not in SSL_MODES:
        raise ValueError(f"ssl-mode {mode!r} is not one of {', '.join(SSL_MODES)}")
    if mode == "DISABLED":
        if ca is not None:
            raise ValueError("ssl-ca needs an ssl-mode other than DISABLED")
        return None
    if ca == "":
        raise ValueError("ssl-ca is empty")
    try:  # without ssl-ca, the system's CA store
        context = ssl.create_default_context(cafile=ca)
    except OSError as error:  # ssl.SSLError included: not a PEM file
        raise ValueError(f"ssl-ca {ca!r}: {error}") from None
    context.check_hostname = mode == "VERIFY_IDENTITY"
    if mode == "REQUIRED":
        context.verify_mode = ssl.CERT_NONE
    return context


DATABASE_URL, DATABASE_TLS = read("DATABASE_URL", database)
PORT = read("PORT", integer(1, 65535), "8000")
WEB_CONCURRENCY = read("WEB_CONCURRENCY", integer(1), "1")
DB_POOL_SIZE = read("DB_POOL_SIZE", integer(1), "10")
DB_POOL_TIMEOUT = read("DB_POOL_TIMEOUT", seconds, "5")
DB_CONNECT_TIMEOUT = read("DB_CONNECT_TIMEOUT", seconds, "2")
DB_QUERY_TIMEOUT = read("DB_QUERY_TIMEOUT", seconds, "5")
ACCESS_LOG = read("ACCESS_LOG", flag, "false")
WORKER_MODEL = read("WORKER_MODEL", asyncio_only, "asyncio")
