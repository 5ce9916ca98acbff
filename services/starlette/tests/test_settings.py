"""DATABASE_URL is checked at startup, and its password never shows in an error."""

from __future__ import annotations

import pytest
from starlette.datastructures import Secret

from app.settings import ImproperlyConfigured, mysql_url


def test_mysql_url_is_decoded_for_aiomysql() -> None:
    url = mysql_url(Secret("mysql://us%40er:p%40ss%3Aw%2Frd@db.example:3307/demo"))
    assert url.scheme == "mysql+aiomysql"
    assert (url.username, url.password) == ("us@er", "p@ss:w/rd")
    assert (url.hostname, url.port, url.database) == ("db.example", 3307, "demo")
    assert "p@ss" not in repr(url)


@pytest.mark.parametrize(
    "value",
    [
        "postgres://user:hunter2@db/demo",  # another database
        "mysql://user:hunter2@db:99999/demo",  # port out of range
        "mysql://user:hunter2@db:port/demo",  # port not a number
        "mysql://user:hunter2@db/",  # no database
        "mysql://:hunter2@db/demo",  # no user
        "mysql:///demo",  # no host
        "hunter2",
    ],
)
def test_malformed_url_fails_without_the_password(value: str) -> None:
    with pytest.raises(ImproperlyConfigured) as caught:
        mysql_url(Secret(value))
    assert "hunter2" not in str(caught.value)
