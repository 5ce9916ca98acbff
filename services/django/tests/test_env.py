"""The environment: good values read, bad ones refused with the variable's name."""

import importlib
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest

from config import env, settings

BASE = {"DATABASE_URL": "mysql://u:secret@db/demo", "DJANGO_SECRET_KEY": "k"}
VARIABLES = [
    *BASE,
    *("DJANGO_ALLOWED_HOSTS", "PORT", "WEB_CONCURRENCY", "WORKER_MODEL", "WORKER_THREADS"),
    *("DB_POOL_SIZE", "DB_POOL_TIMEOUT", "DB_CONNECT_TIMEOUT", "DB_QUERY_TIMEOUT", "ACCESS_LOG"),
]


@pytest.fixture
def load(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., ModuleType]]:
    """config.settings read anew from BASE and the given variables."""

    def load(**values: str) -> ModuleType:
        for name in VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in {**BASE, **values}.items():
            monkeypatch.setenv(name, value)
        return importlib.reload(settings)

    yield load
    monkeypatch.undo()
    importlib.reload(settings)


def test_defaults(load: Callable[..., ModuleType]) -> None:
    loaded = load()
    assert (loaded.PORT, loaded.WEB_CONCURRENCY, loaded.DB_POOL_SIZE) == (8000, 1, 10)
    assert (loaded.WORKER_MODEL, loaded.WORKER_THREADS) == ("gevent", 10)
    assert (loaded.DB_CONNECT_TIMEOUT, loaded.DB_QUERY_TIMEOUT) == (2, 5)
    assert loaded.DATABASES["default"]["OPTIONS"]["pool"]["timeout"] == 5
    assert loaded.ACCESS_LOG is False
    assert loaded.ALLOWED_HOSTS == ["*"]


def test_worker_threads_default_to_the_pool_size(load: Callable[..., ModuleType]) -> None:
    loaded = load(DB_POOL_SIZE="4", WORKER_MODEL="threads")
    assert (loaded.WORKER_MODEL, loaded.WORKER_THREADS) == ("threads", 4)
    assert load(DB_POOL_SIZE="4", WORKER_THREADS="7").WORKER_THREADS == 7


def test_database_url(load: Callable[..., ModuleType]) -> None:
    url = "mysql://us%40er:p%40ss%3Aw%2Frd@db.example:3307/demo"
    assert load(DATABASE_URL=url).DATABASE == {
        "NAME": "demo",
        "USER": "us@er",
        "PASSWORD": "p@ss:w/rd",
        "HOST": "db.example",
        "PORT": "3307",
        "OPTIONS": {},
    }
    database = load(DATABASE_URL="mysql://root@127.0.0.1/demo").DATABASE
    assert (database["PORT"], database["PASSWORD"]) == ("3306", "")


@pytest.mark.parametrize(
    ("query", "tls"),
    [
        ("ssl-mode=disabled", {}),
        ("ssl-mode=REQUIRED", {"ssl_mode": "REQUIRED"}),
        ("ssl-mode=verify_ca", {"ssl_mode": "VERIFY_CA"}),
        ("ssl-mode=VERIFY_CA&ssl-ca=/ca.pem", {"ssl_mode": "VERIFY_CA", "ssl": {"ca": "/ca.pem"}}),
        (
            "ssl-ca=%2Fca.pem&ssl-mode=Verify_Identity",
            {"ssl_mode": "VERIFY_IDENTITY", "ssl": {"ca": "/ca.pem"}},
        ),
    ],
)
def test_tls_options(load: Callable[..., ModuleType], query: str, tls: object) -> None:
    assert load(DATABASE_URL=f"mysql://u:secret@db/demo?{query}").DATABASE["OPTIONS"] == tls


@pytest.mark.parametrize(
    "url",
    [
        "",
        "postgres://u:secret@h/db",
        "mysql://u:secret@h/",
        "mysql://u:secret@h/a/b",
        "mysql://u:secret@h:notaport/db",
        "mysql://u:secret@h:0/db",
        "mysql://u:secret@h:65536/db",
        "mysql://u:secret@/db",
        "mysql://u:secret@h/db#x",
        "mysql://u:secret@h/db?ssl=1",
        "mysql://u:secret@h/db?ssl-mode=PREFERRED",
        "mysql://u:secret@h/db?ssl-mode=REQUIRED&ssl-mode=REQUIRED",
        "mysql://u:secret@h/db?ssl-ca=/ca.pem",
        "mysql://u:secret@h/db?ssl-mode=DISABLED&ssl-ca=/ca.pem",
        "mysql://u:secret@h/db?ssl-mode=REQUIRED&ssl-ca=",
        "mysql://u:secret@h/db?ssl-mode",
    ],
)
def test_database_url_refused(load: Callable[..., ModuleType], url: str) -> None:
    with pytest.raises(env.Invalid, match=r"^DATABASE_URL: ") as refused:
        load(DATABASE_URL=url)
    assert "secret" not in str(refused.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [("PORT", "0"), ("PORT", "65536"), ("PORT", "80a"), ("WEB_CONCURRENCY", "0"),
     ("DB_POOL_SIZE", "1.5"), ("DB_POOL_SIZE", "-1"), ("WORKER_THREADS", "0"),
     ("DB_POOL_TIMEOUT", "0"), ("DB_CONNECT_TIMEOUT", "-1"), ("DB_QUERY_TIMEOUT", "nan"),
     ("DB_QUERY_TIMEOUT", "inf"), ("DB_QUERY_TIMEOUT", "2s"), ("DB_QUERY_TIMEOUT", "1e3"),
     ("ACCESS_LOG", "maybe"), ("WORKER_MODEL", "asyncio"), ("DJANGO_SECRET_KEY", "")],
)  # fmt: skip
def test_malformed_values_are_refused(
    load: Callable[..., ModuleType], name: str, value: str
) -> None:
    with pytest.raises(env.Invalid, match=rf"^{name}: "):
        load(**{name: value})


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [("PORT", "65535", 65535), ("DB_CONNECT_TIMEOUT", "0.5", 0.5),
     ("DB_QUERY_TIMEOUT", ".25", 0.25), ("ACCESS_LOG", "On", True), ("ACCESS_LOG", "0", False),
     ("WORKER_MODEL", "threads", "threads")],
)  # fmt: skip
def test_good_values(
    load: Callable[..., ModuleType], name: str, value: str, expected: object
) -> None:
    assert getattr(load(**{name: value}), name) == expected
