"""Settings: the defaults, every refusal (named, never echoing the password), TLS contexts."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.config import Settings, get_settings, refusal

NAMES = (
    "DATABASE_URL", "PORT", "WEB_CONCURRENCY", "DB_POOL_SIZE", "DB_POOL_TIMEOUT",
    "DB_CONNECT_TIMEOUT", "DB_QUERY_TIMEOUT", "ACCESS_LOG", "WORKER_MODEL",
)  # fmt: skip
URL = "mysql://u:secret@db.example/demo"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Only what a test sets; get_settings() reads the environment afresh in each test."""
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def refused(monkeypatch: pytest.MonkeyPatch, **values: str) -> str:
    """The refusal line for these variables (DATABASE_URL defaults to a valid one)."""
    monkeypatch.setenv("DATABASE_URL", URL)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as error:
        get_settings()
    line = refusal(error.value)
    assert "secret" not in line
    assert "secret" not in str(error.value)
    return line


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://u%40x:p%2Fw%25@db.example:3307/de%20mo")
    settings = get_settings()
    url, context = settings.DATABASE_URL.url, settings.DATABASE_URL.ssl
    assert (url.username, url.password, url.host, url.port) == (
        "u@x",
        "p/w%",
        "db.example",
        3307,
    )
    assert (url.database, url.query, context) == ("de mo", {}, None)
    assert (settings.PORT, settings.WEB_CONCURRENCY, settings.DB_POOL_SIZE) == (8000, 1, 10)
    assert (settings.DB_POOL_TIMEOUT, settings.DB_CONNECT_TIMEOUT) == (5.0, 2.0)
    assert (settings.DB_QUERY_TIMEOUT, settings.ACCESS_LOG) == (5.0, False)
    assert settings.WORKER_MODEL == "asyncio"


def test_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://u@db/demo")
    for name, value in {"PORT": "65535", "DB_POOL_TIMEOUT": "0.5", "ACCESS_LOG": "On"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("WORKER_MODEL", "asyncio")
    settings = get_settings()
    assert (settings.DATABASE_URL.url.port, settings.DATABASE_URL.url.password) == (3306, "")
    assert (settings.PORT, settings.DB_POOL_TIMEOUT, settings.ACCESS_LOG) == (65535, 0.5, True)


@pytest.mark.parametrize(("value", "expected"), [("yes", True), ("1", True), ("OFF", False)])
def test_access_log_words(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("DATABASE_URL", URL)
    monkeypatch.setenv("ACCESS_LOG", value)
    assert get_settings().ACCESS_LOG is expected


def test_database_url_is_required() -> None:
    with pytest.raises(ValidationError) as error:
        get_settings()
    assert refusal(error.value) == "invalid configuration: DATABASE_URL: Field required"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("not a url", "the scheme must be mysql://"),
        ("postgresql://u:secret@db/demo", "the scheme must be mysql://"),
        ("mysql+asyncmy://u:secret@db/demo", "the scheme must be mysql://"),
        ("mysql://u:secret@/demo", "a host is required"),
        ("mysql://u:secret@db:0/demo", "the port must be an integer from 1 to 65535"),
        ("mysql://u:secret@db:65536/demo", "the port must be an integer from 1 to 65535"),
        ("mysql://u:secret@db:x/demo", "the port must be an integer from 1 to 65535"),
        ("mysql://u:secret@db", "one database name is required after the host"),
        ("mysql://u:secret@db/", "one database name is required after the host"),
        ("mysql://u:secret@db/demo/extra", "one database name is required after the host"),
        ("mysql://u:secret@db/demo#x", "no #fragment"),
        ("mysql://u:secret@db/demo?ssl-mode", "ssl-mode must be one of DISABLED, "),
        ("mysql://u:secret@db/demo?ssl", "the only options are ssl-mode and ssl-ca"),
        ("mysql://u:secret@db/demo?ssl=true", "the only options are ssl-mode and ssl-ca"),
        ("mysql://u:secret@db/demo?sslmode=REQUIRED", "the only options are ssl-mode and ssl-ca"),
        (
            "mysql://u:secret@db/demo?ssl-mode=REQUIRED&ssl-mode=REQUIRED",
            "the only options are ssl-mode and ssl-ca, each at most once",
        ),
        ("mysql://u:secret@db/demo?ssl-mode=PREFERRED", "ssl-mode must be one of DISABLED, "),
        ("mysql://u:secret@db/demo?ssl-ca=/ca.pem", "ssl-ca needs an ssl-mode other than DISABLED"),
        (
            "mysql://u:secret@db/demo?ssl-mode=VERIFY_CA&ssl-ca=/no/such.pem",
            "ssl-ca is not a readable PEM file",
        ),
    ],
)
def test_each_database_url_refusal(monkeypatch: pytest.MonkeyPatch, url: str, why: str) -> None:
    line = refused(monkeypatch, DATABASE_URL=url)
    assert line.startswith(f"invalid configuration: DATABASE_URL: {why}")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "0"), ("PORT", "65536"), ("PORT", "http"), ("WEB_CONCURRENCY", "0"),
        ("DB_POOL_SIZE", "0"), ("DB_POOL_SIZE", "2.5"), ("DB_POOL_TIMEOUT", "0"),
        ("DB_CONNECT_TIMEOUT", "-1"), ("DB_QUERY_TIMEOUT", "inf"), ("DB_QUERY_TIMEOUT", "nan"),
        ("ACCESS_LOG", "maybe"), ("ACCESS_LOG", "t"), ("WORKER_MODEL", "gevent"),
        ("WORKER_MODEL", "threads"),
    ],
)  # fmt: skip
def test_each_variable_refusal(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    assert refused(monkeypatch, **{name: value}).startswith(f"invalid configuration: {name}: ")


def tls(url: str) -> ssl.SSLContext | None:
    return Settings.model_validate({"DATABASE_URL": url}).DATABASE_URL.ssl


@pytest.fixture(scope="module")
def ca_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throw-away CA certificate, made by openssl."""
    folder = tmp_path_factory.mktemp("ca")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=test CA", "-keyout", folder / "ca.key", "-out", folder / "ca.pem"],
        check=True, capture_output=True,
    )  # fmt: skip
    return folder / "ca.pem"


def test_tls_modes(ca_file: Path) -> None:
    assert tls(URL) is None
    assert tls(URL + "?ssl-mode=disabled") is None
    required = tls(URL + "?ssl-mode=REQUIRED")
    assert required is not None
    assert (required.verify_mode, required.check_hostname) == (ssl.CERT_NONE, False)
    for mode, hostname in (("VERIFY_CA", False), ("verify_identity", True)):
        context = tls(f"{URL}?ssl-mode={mode}&ssl-ca={ca_file}")
        assert context is not None
        assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, hostname)
        assert [ca["subject"] for ca in context.get_ca_certs()] == [((("commonName", "test CA"),),)]


def test_verify_without_a_ca_uses_the_system_store() -> None:
    context = tls(URL + "?ssl-mode=VERIFY_IDENTITY")
    assert context is not None
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
    system = ssl.create_default_context()
    assert len(context.get_ca_certs()) == len(system.get_ca_certs())


def test_a_file_that_is_not_pem_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ca.pem").write_text("not a certificate")
    url = f"{URL}?ssl-mode=VERIFY_CA&ssl-ca={tmp_path / 'ca.pem'}"
    assert "ssl-ca is not a readable PEM file" in refused(monkeypatch, DATABASE_URL=url)
