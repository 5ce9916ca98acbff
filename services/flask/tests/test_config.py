"""Settings come from the environment and fail loudly, without echoing secrets."""

from __future__ import annotations

import pytest

from app.config import ConfigError, from_environ

URL = "mysql://user:p%40ss@db.example:3306/demo"


def test_defaults() -> None:
    settings = from_environ({"DATABASE_URL": URL})
    assert settings["DATABASE_URL"].password == "p@ss"  # percent-decoded
    assert settings["DATABASE_URL"].drivername == "mysql+mysqldb"
    assert (settings["DB_POOL_SIZE"], settings["DB_POOL_TIMEOUT"]) == (10, 5.0)
    assert (settings["DB_CONNECT_TIMEOUT"], settings["DB_QUERY_TIMEOUT"]) == (2.0, 5.0)


def test_decimal_seconds() -> None:
    assert from_environ({"DATABASE_URL": URL, "DB_POOL_TIMEOUT": "0.5"})["DB_POOL_TIMEOUT"] == 0.5


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"DATABASE_URL": ""},
        {"DATABASE_URL": "not a url"},
        {"DATABASE_URL": "postgresql://user:secret@db/demo"},
        {"DATABASE_URL": "mysql://user:secret@db.example"},  # no database
        {"DATABASE_URL": URL, "DB_POOL_SIZE": "0"},
        {"DATABASE_URL": URL, "DB_POOL_SIZE": "ten"},
        {"DATABASE_URL": URL, "DB_QUERY_TIMEOUT": "0"},
        {"DATABASE_URL": URL, "DB_CONNECT_TIMEOUT": "inf"},
    ],
)
def test_bad_settings_fail_loudly(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as raised:
        from_environ(environ)
    assert "secret" not in str(raised.value)
