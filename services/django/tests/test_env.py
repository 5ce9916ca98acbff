"""The environment readers: good values parsed, bad ones refused loudly."""

from collections.abc import Callable

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env


def test_mysql_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("URL", "mysql://us%40er:p%40ss%3Aw%2Frd@db.example:3307/demo")
    assert env.mysql_url("URL") == {
        "NAME": "demo",
        "USER": "us@er",
        "PASSWORD": "p@ss:w/rd",
        "HOST": "db.example",
        "PORT": "3307",
    }


def test_mysql_url_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("URL", "mysql://root@127.0.0.1/demo")
    assert env.mysql_url("URL")["PORT"] == "3306"
    assert env.mysql_url("URL")["PASSWORD"] == ""


@pytest.mark.parametrize(
    "url",
    [
        "",
        "postgres://u:p@h/db",
        "mysql://u:p@h/",
        "mysql://u:p@h:notaport/db",
        "mysql://u:p@h:99999/db",
        "mysql://h/db",
        "mysql://u:p@/db",
        "mysql://u:p@h/db?ssl=1",
    ],
)
def test_mysql_url_refused(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("URL", url)
    with pytest.raises(ImproperlyConfigured) as refused:
        env.mysql_url("URL")
    assert ":p@" not in str(refused.value)  # never echoes a password


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("FALSE", False), ("1", True)])
def test_boolean(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("FLAG", value)
    assert env.boolean("FLAG") is expected


READERS: dict[str, Callable[[str], object]] = {
    "boolean": env.boolean,
    "positive_int": lambda name: env.positive_int(name, 1),
    "seconds": lambda name: env.seconds(name, 1),
}


@pytest.mark.parametrize(
    ("reader", "value"),
    [("boolean", "maybe"), ("positive_int", "0"), ("positive_int", "1.5"), ("seconds", "-1"),
     ("seconds", "0"), ("seconds", "nan"), ("seconds", "inf"), ("seconds", "2s")],
)  # fmt: skip
def test_malformed_values_are_refused(
    monkeypatch: pytest.MonkeyPatch, reader: str, value: str
) -> None:
    monkeypatch.setenv("VALUE", value)
    with pytest.raises(ImproperlyConfigured):
        READERS[reader]("VALUE")


def test_seconds_accept_decimals(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VALUE", "0.5")
    assert env.seconds("VALUE", 5) == 0.5
    monkeypatch.delenv("VALUE")
    assert env.seconds("VALUE", 5) == 5
