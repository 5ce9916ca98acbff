"""Configuration: DATABASE_URL's one form and TLS modes, the other variables' rules, and a
refused value stopping ``python -m app`` with one log line that never shows the password."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from app import config
from tests.conftest import SERVICE, TEST_SETTINGS

URL = "mysql://us%40er:p%40ss%3Aw%2Frd@db.example:3307/demo"


def test_user_and_password_are_percent_decoded_once() -> None:
    url, tls = config.database(URL)
    assert (url.username, url.password) == ("us@er", "p@ss:w/rd")
    assert (url.hostname, url.port, url.database) == ("db.example", 3307, "demo")
    assert tls is None
    assert "p@ss" not in repr(url)


def test_the_port_defaults_to_3306() -> None:
    url, _ = config.database("mysql://user:pw@db/demo")
    assert (url.port or 3306, url.options) == (3306, {})


@pytest.mark.parametrize(
    ("query", "verify", "hostname"),
    [
        ("", None, None),
        ("?ssl-mode=disabled", None, None),
        ("?ssl-mode=REQUIRED", ssl.CERT_NONE, False),
        ("?ssl-mode=verify_ca", ssl.CERT_REQUIRED, False),
        ("?ssl-mode=VERIFY_IDENTITY", ssl.CERT_REQUIRED, True),
    ],
)
def test_ssl_modes(query: str, verify: ssl.VerifyMode | None, hostname: bool | None) -> None:
    _, tls = config.database(f"mysql://user:pw@db/demo{query}")
    assert (tls and tls.verify_mode, tls and tls.check_hostname) == (verify, hostname)


@pytest.fixture(scope="module")
def ca_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throw-away self-signed CA certificate (PEM), made by the openssl command."""
    folder = tmp_path_factory.mktemp("ca")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=test CA", "-keyout", folder / "key.pem", "-out", folder / "ca.pem"],
        check=True, capture_output=True,
    )  # fmt: skip
    return folder / "ca.pem"


def test_ssl_ca_is_loaded(ca_file: Path) -> None:
    _, tls = config.database(f"mysql://user:pw@db/demo?ssl-mode=VERIFY_IDENTITY&ssl-ca={ca_file}")
    assert tls is not None
    assert [cert["subject"] for cert in tls.get_ca_certs()] == [((("commonName", "test CA"),),)]


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("postgres://user:hunter2@db/demo", "the scheme must be mysql://"),
        ("mysql+aiomysql://user:hunter2@db/demo", "the scheme must be mysql://"),
        ("mysql://user:hunter2@db:99999/demo", "the port must be an integer 1-65535"),
        ("mysql://user:hunter2@db:0/demo", "the port must be an integer 1-65535"),
        ("mysql://user:hunter2@db:hunter2/demo", "the port must be an integer 1-65535"),
        ("mysql://user:hunter2@db/", "a database name is required"),
        ("mysql://user:hunter2@db", "a database name is required"),
        ("mysql://:hunter2@db/demo", "a user and a host are required"),
        ("mysql:///demo", "a user and a host are required"),
        ("mysql://user:hun#ter2@db/demo", "a '#' in the URL"),
        ("mysql://user:hunter2@db/demo?charset=latin1", "query option 'charset'"),
        ("mysql://user:hunter2@db/demo?ssl-mode=REQUIRED&ssl-mode=REQUIRED", "query option"),
        ("mysql://user:hunter2@db/demo?ssl-mode=PREFERRED", "ssl-mode 'PREFERRED' is not one"),
        ("mysql://user:hunter2@db/demo?ssl-mode=", "ssl-mode '' is not one"),
        ("mysql://user:hunter2@db/demo?ssl-ca=/etc/hostname", "ssl-ca needs an ssl-mode"),
        ("mysql://user:hunter2@db/demo?ssl-mode=VERIFY_CA&ssl-ca=", "ssl-ca is empty"),
        ("mysql://user:hunter2@db/demo?ssl-mode=VERIFY_CA&ssl-ca=/no/such.pem", "ssl-ca '/no/"),
        ("mysql://user:hunter2@db/demo?ssl-mode=VERIFY_CA&ssl-ca=/etc/hostname", "ssl-ca '/etc"),
    ],
)
def test_refused_urls_say_why_without_the_password(value: str, why: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(why)) as refused:
        config.database(value)
    assert "hunter2" not in str(refused.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://user:hunter2@db:99999/demo"),
        ("PORT", "0"),
        ("PORT", "65536"),
        ("WEB_CONCURRENCY", "0"),
        ("DB_POOL_SIZE", "ten"),
        ("DB_POOL_TIMEOUT", "0"),
        ("DB_CONNECT_TIMEOUT", "inf"),
        ("DB_QUERY_TIMEOUT", "nan"),
        ("ACCESS_LOG", "maybe"),
        ("WORKER_MODEL", "gevent"),
        ("WORKER_MODEL", "threads"),
    ],
)
def test_a_refused_value_stops_the_server_with_one_line(name: str, value: str) -> None:
    env = {"DATABASE_URL": "mysql://user:hunter2@127.0.0.1:9/demo", name: value}
    inherited = {k: v for k, v in os.environ.items() if k not in TEST_SETTINGS}
    done = subprocess.run(
        [sys.executable, "-m", "app"], cwd=SERVICE, env={**inherited, **env},
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert re.fullmatch(
        rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ ERROR app.config: invalid configuration: {name}: .+",
        line,
    )
    assert "hunter2" not in line


@pytest.mark.parametrize(
    ("value", "flag"), [("TRUE", True), ("on", True), ("Yes", True), ("1", True), ("Off", False)]
)
def test_access_log_flags(value: str, flag: bool) -> None:
    assert config.flag(value) is flag
