"""Settings come from the environment and are refused loudly, without echoing secrets."""

from __future__ import annotations

import pytest

from app.config import ConfigError, from_environ, server

URL = "mysql://us%65r:p%2540ss@db.example/demo"


def test_defaults() -> None:
    settings = from_environ({"DATABASE_URL": URL})
    url = settings["DATABASE_URL"]
    assert (url.username, url.password) == ("user", "p%40ss")  # decoded once
    assert (url.drivername, url.host, url.port, url.database) == (
        "mysql+mysqldb",
        "db.example",
        3306,
        "demo",
    )
    assert settings["DB_SSL"] == {"ssl_mode": "DISABLED"}
    assert (settings["DB_POOL_SIZE"], settings["DB_POOL_TIMEOUT"]) == (10, 5.0)
    assert (settings["DB_CONNECT_TIMEOUT"], settings["DB_QUERY_TIMEOUT"]) == (2.0, 5.0)
    assert server({"DATABASE_URL": URL}) == {
        "PORT": 8000,
        "WEB_CONCURRENCY": 1,
        "ACCESS_LOG": False,
        "WORKER_MODEL": "gevent",
        "WORKER_THREADS": 10,
    }


@pytest.mark.parametrize(
    ("query", "ssl"),
    [
        ("?ssl-mode=required", {"ssl_mode": "REQUIRED"}),
        ("?ssl-mode=VERIFY_CA&ssl-ca=/ca.pem", {"ssl_mode": "VERIFY_CA", "ssl": {"ca": "/ca.pem"}}),
        (
            "?ssl-ca=/ca.pem&ssl-mode=verify_identity",
            {"ssl_mode": "VERIFY_IDENTITY", "ssl": {"ca": "/ca.pem"}},
        ),
    ],
)
def test_tls_options(query: str, ssl: dict[str, object]) -> None:
    assert from_environ({"DATABASE_URL": URL + query})["DB_SSL"] == ssl


def test_threads_default_to_the_pool_size() -> None:
    environ = {"DATABASE_URL": URL, "DB_POOL_SIZE": "4", "WORKER_MODEL": "threads"}
    assert server(environ)["WORKER_THREADS"] == 4
    assert server({**environ, "WORKER_THREADS": "7", "ACCESS_LOG": "On"})["WORKER_THREADS"] == 7


@pytest.mark.parametrize(
    ("environ", "name"),
    [
        ({}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://u:secret@db/demo"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql+mysqldb://u:secret@db/demo"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://u:secret@db.example"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://u:secret@/demo"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://u:secret@db:0/demo"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://u:secret@db:65536/demo"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://u:secret@db:x/demo"}, "DATABASE_URL"),
        ({"DATABASE_URL": URL + "?charset=utf8"}, "DATABASE_URL"),
        ({"DATABASE_URL": URL + "?ssl-mode=REQUIRED&ssl-mode=REQUIRED"}, "DATABASE_URL"),
        ({"DATABASE_URL": URL + "?ssl-mode=PREFERRED"}, "DATABASE_URL"),
        ({"DATABASE_URL": URL + "?ssl-ca=/ca.pem"}, "DATABASE_URL"),
        ({"DATABASE_URL": URL, "DB_POOL_SIZE": "0"}, "DB_POOL_SIZE"),
        ({"DATABASE_URL": URL, "DB_POOL_SIZE": "ten"}, "DB_POOL_SIZE"),
        ({"DATABASE_URL": URL, "DB_QUERY_TIMEOUT": "0"}, "DB_QUERY_TIMEOUT"),
        ({"DATABASE_URL": URL, "DB_CONNECT_TIMEOUT": "inf"}, "DB_CONNECT_TIMEOUT"),
        ({"DATABASE_URL": URL, "DB_POOL_TIMEOUT": "nan"}, "DB_POOL_TIMEOUT"),
        ({"DATABASE_URL": URL, "PORT": "65536"}, "PORT"),
        ({"DATABASE_URL": URL, "WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY"),
        ({"DATABASE_URL": URL, "ACCESS_LOG": "maybe"}, "ACCESS_LOG"),
        ({"DATABASE_URL": URL, "WORKER_MODEL": "asyncio"}, "WORKER_MODEL"),
        ({"DATABASE_URL": URL, "WORKER_THREADS": "0"}, "WORKER_THREADS"),
    ],
)
def test_bad_settings_are_refused(environ: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError) as raised:
        server(environ)
    assert str(raised.value).startswith(f"{name}: ")
    assert "secret" not in str(raised.value)
