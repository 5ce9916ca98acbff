"""Settings, read once from the environment when the process starts.

Starlette's config idiom (https://www.starlette.io/config/): every value is cast and checked
here, so a missing or malformed variable stops the process before it serves anything. The
names and defaults are the contract's (README.md, "Configuration").
"""

from __future__ import annotations

from databases import DatabaseURL
from starlette.config import Config
from starlette.datastructures import Secret

# Environment only: a container has no .env file, and none is read by accident.
config = Config()


class ImproperlyConfigured(Exception):
    """A setting is unusable. The message never repeats a secret."""


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(f"{number} is not positive")
    return number


def positive_float(value: str) -> float:
    number = float(value)
    if not number > 0:  # also rejects NaN
        raise ValueError(f"{number} is not positive")
    return number


def mysql_url(secret: Secret) -> DatabaseURL:
    """``mysql://user:password@host:port/database`` as a URL for `databases`' aiomysql backend.

    Checked here rather than through ``config(cast=...)``, whose error message would print the
    password. ``DatabaseURL`` percent-decodes user and password and hides the password in repr.
    """
    url = DatabaseURL(str(secret))
    try:
        port = url.port  # urlsplit parses the port lazily and raises on a bad one
    except ValueError:
        port = -1
    if (
        url.scheme not in {"mysql", "mysql+aiomysql"}
        or not url.hostname
        or not url.username
        or not url.database
        or port == -1
    ):
        raise ImproperlyConfigured(
            "DATABASE_URL must look like mysql://user:password@host:port/database"
        )
    return url.replace(driver="aiomysql")


DATABASE_URL = mysql_url(config("DATABASE_URL", cast=Secret))
PORT = config("PORT", cast=positive_int, default="8000")
WEB_CONCURRENCY = config("WEB_CONCURRENCY", cast=positive_int, default="1")
DB_POOL_SIZE = config("DB_POOL_SIZE", cast=positive_int, default="10")
DB_POOL_TIMEOUT = config("DB_POOL_TIMEOUT", cast=positive_float, default="5")
DB_CONNECT_TIMEOUT = config("DB_CONNECT_TIMEOUT", cast=positive_float, default="2")
DB_QUERY_TIMEOUT = config("DB_QUERY_TIMEOUT", cast=positive_float, default="5")
ACCESS_LOG = config("ACCESS_LOG", cast=bool, default=False)
