"""Readers of the environment, each refusing a bad value with the variable's name."""

import os
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_BOOLEANS = {"true": True, "1": True, "yes": True, "on": True}
_BOOLEANS |= {"false": False, "0": False, "no": False, "off": False}
_INTEGER = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
# MySQL's --ssl-mode values. https://dev.mysql.com/doc/refman/8.4/en/connection-options.html
SSL_MODES = ("DISABLED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY")


class Invalid(ImproperlyConfigured):
    """A value the service refuses; the message never echoes a password."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"{name}: {why}")


def database_url(name: str) -> dict[str, Any]:
    """``mysql://USER:PASSWORD@HOST[:PORT]/DATABASE[?ssl-mode=MODE[&ssl-ca=PATH]]``.

    Django's NAME, USER, PASSWORD, HOST and PORT, and mysqlclient's TLS arguments as OPTIONS.
    """
    parts = urlsplit(required(name))
    try:
        port = 3306 if parts.port is None else parts.port
    except ValueError:
        port = 0
    database = unquote(parts.path.removeprefix("/"))
    if parts.scheme != "mysql" or not parts.hostname or parts.fragment:
        raise Invalid(name, "must be mysql://USER:PASSWORD@HOST[:PORT]/DATABASE[?OPTIONS]")
    if not 1 <= port <= 65535:
        raise Invalid(name, "the port must be an integer from 1 to 65535")
    if not database or "/" in database:
        raise Invalid(name, "a database name is required, as the only path segment")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = dict(pairs)
    if set(query) - {"ssl-mode", "ssl-ca"} or len(query) < len(pairs):
        raise Invalid(name, "the only options are ssl-mode and ssl-ca, each at most once")
    mode = query.get("ssl-mode", "DISABLED").upper()
    if mode not in SSL_MODES:
        raise Invalid(name, f"ssl-mode must be one of {', '.join(SSL_MODES)}")
    if "ssl-ca" in query and (mode == "DISABLED" or not query["ssl-ca"]):
        raise Invalid(name, "ssl-ca needs a path and an ssl-mode other than DISABLED")
    options: dict[str, Any] = {} if mode == "DISABLED" else {"ssl_mode": mode}
    if "ssl-ca" in query:
        options["ssl"] = {"ca": query["ssl-ca"]}
    return {
        "NAME": database,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname,
        "PORT": str(port),
        "OPTIONS": options,
    }


def required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise Invalid(name, "required")
    return value


def integer(name: str, default: int, maximum: int | None = None) -> int:
    """An integer from 1 (to ``maximum``)."""
    value = os.environ.get(name, str(default))
    if not _INTEGER.fullmatch(value) or not 1 <= int(value) <= (maximum or int(value)):
        raise Invalid(name, f"must be an integer from 1 {f'to {maximum}' if maximum else 'up'}")
    return int(value)


def seconds(name: str, default: float) -> float:
    """A decimal number of seconds above 0."""
    value = os.environ.get(name, str(default))
    if not _DECIMAL.fullmatch(value) or not float(value) > 0:
        raise Invalid(name, "must be a decimal number of seconds above 0")
    return float(value)


def boolean(name: str) -> bool:
    """true/false, 1/0, yes/no or on/off, in any case; false when unset."""
    value = os.environ.get(name, "false").lower()
    if value not in _BOOLEANS:
        raise Invalid(name, "must be one of true/false/1/0/yes/no/on/off")
    return _BOOLEANS[value]


def choice(name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices``; the first when unset."""
    value = os.environ.get(name, choices[0])
    if value not in choices:
        raise Invalid(name, f"must be one of {', '.join(choices)}")
    return value
