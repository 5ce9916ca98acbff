"""Typed readers for the environment variables listed in README.md.

Each reader fails loudly (``ImproperlyConfigured``) on a missing or malformed value, so a bad
deployment stops at start-up instead of serving errors. Imported by ``settings.py`` and by
``gunicorn.conf.py`` (in the gunicorn master, so nothing here may import ``django.db``).
"""

import math
import os
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def required(name: str) -> str:
    """A variable that must be set and non-empty."""
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable.")
    return value


def boolean(name: str, default: bool = False) -> bool:
    """``true``/``false`` (also 1/0, yes/no, on/off), case-insensitive."""
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def comma_separated(name: str, default: str) -> list[str]:
    """A comma-separated list; blanks around items are dropped."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def positive_int(name: str, default: int) -> int:
    """A whole number greater than zero."""
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number <= 0:
        raise ImproperlyConfigured(f"{name} must be a positive integer, not {value!r}.")
    return number


def seconds(name: str, default: float) -> float:
    """A positive duration in seconds, integer or decimal."""
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (0 < number < math.inf):
        raise ImproperlyConfigured(f"{name} must be a positive number of seconds, not {value!r}.")
    return number


def mysql_url(name: str) -> dict[str, str]:
    """``mysql://user:password@host:port/database`` as Django's NAME/USER/PASSWORD/HOST/PORT.

    User and password are percent-decoded; the port defaults to 3306.
    """
    url = required(name)
    parts = urlsplit(url)
    try:
        port = parts.port or 3306
    except ValueError:
        port = 0  # not a number or out of range
    database = unquote(parts.path.removeprefix("/"))
    if (
        parts.scheme != "mysql"
        or not parts.hostname
        or not parts.username
        or not port
        or not database
        or "/" in database
        or parts.query
        or parts.fragment
    ):
        # The URL holds a password: never echo it.
        raise ImproperlyConfigured(
            f"{name} must look like mysql://user:password@host:port/database."
        )
    return {
        "NAME": database,
        "USER": unquote(parts.username),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname,
        "PORT": str(port),
    }
