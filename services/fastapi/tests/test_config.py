"""Settings: the contract's defaults, and a loud failure on a missing or malformed DATABASE_URL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import ValidationError

from app.config import get_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Only what a test sets; get_settings() reads the environment afresh in each test."""
    for name in (
        "DATABASE_URL",
        "PORT",
        "WEB_CONCURRENCY",
        "DB_POOL_SIZE",
        "DB_POOL_TIMEOUT",
        "DB_CONNECT_TIMEOUT",
        "DB_QUERY_TIMEOUT",
        "ACCESS_LOG",
    ):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://u%40x:p%2Fw@db.example:3307/demo")
    settings = get_settings()
    assert settings.DATABASE_URL.port == 3307
    assert (settings.PORT, settings.WEB_CONCURRENCY, settings.DB_POOL_SIZE) == (8000, 1, 10)
    assert (settings.DB_POOL_TIMEOUT, settings.DB_CONNECT_TIMEOUT) == (5.0, 2.0)
    assert (settings.DB_QUERY_TIMEOUT, settings.ACCESS_LOG) == (5.0, False)


def test_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://u@db/demo")
    monkeypatch.setenv("DB_POOL_TIMEOUT", "0.5")
    monkeypatch.setenv("ACCESS_LOG", "true")
    settings = get_settings()
    assert settings.DATABASE_URL.port == 3306
    assert (settings.DB_POOL_TIMEOUT, settings.ACCESS_LOG) == (0.5, True)


def test_database_url_is_required() -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL"):
        get_settings()


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "postgresql://u:secret@db/demo",
        "mysql+asyncmy://u:secret@db/demo",  # would make `databases` pick another driver
        "mysql://db/demo",  # no user
        "mysql://u:secret@db",  # no database
        "mysql://u:secret@db/",
        "mysql://u:secret@db/demo/extra",
        "mysql://u:secret@db/demo?ssl=true",
    ],
)
def test_malformed_database_url_fails_without_showing_it(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ValidationError, match="DATABASE_URL") as error:
        get_settings()
    assert "secret" not in str(error.value)


@pytest.mark.parametrize(("name", "value"), [("DB_POOL_SIZE", "0"), ("DB_QUERY_TIMEOUT", "-1")])
def test_bounds_must_be_positive(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://u@db/demo")
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name):
        get_settings()
