"""TLS to the database (CONTRACT.md, "Configuration"): ``ssl-mode`` and ``ssl-ca`` in
``DATABASE_URL``. The kit's server offers TLS with a certificate for 127.0.0.1 and localhost from
a CA made at start; a login created ``REQUIRE SSL`` proves every connection is TLS (the server
refuses that login in plaintext); a second CA, which signed nothing, must make the check fail.
"""

from __future__ import annotations

import pytest

from contract.client import demo_path
from contract.database import Database
from contract.mysqld import TlsFiles
from contract.spec import ERRORS, JSON
from contract.tests.conftest import (
    Deployer,
    Deployment,
    LogWatch,
    assert_one_line_events,
)

NAME = "dup"
# On Linux all of 127.0.0.0/8 is this machine: an address the server's certificate does not name.
UNNAMED_HOST = "127.0.0.2"


def _tls(database: Database) -> TlsFiles:
    if database.tls is None:
        pytest.skip("needs the kit's own server (DATABASE_URL's server has no CA the kit knows)")
    return database.tls


@pytest.mark.parametrize(
    ("mode", "with_ca"),
    [("REQUIRED", False), ("VERIFY_CA", True), ("VERIFY_IDENTITY", True)],
)
def test_tls_connects_and_every_connection_is_tls(
    deployer: Deployer, database: Database, service_name: str, mode: str, with_ca: bool
) -> None:
    tls = _tls(database)
    options = {"ssl-mode": mode, **({"ssl-ca": str(tls.ca)} if with_ca else {})}
    deployed = deployer.deployed(service_name, require_tls=True, url_options=options)
    with deployed as fresh, fresh.client() as client:
        response = client.get(demo_path(NAME))
        assert response.status_code == 200, response.text
        assert response.json() == database.lookup(NAME)
        assert client.get("/readyz").status_code == 200
        assert fresh.held_connections() >= 1  # all of them TLS: the login requires it


# id -> (ssl-mode, the host the service connects to, which CA is ssl-ca).
FAILING_CHECKS = {
    "ca-wrong-ca": ("VERIFY_CA", "127.0.0.1", "other"),
    "identity-wrong-ca": ("VERIFY_IDENTITY", "127.0.0.1", "other"),
    "identity-unnamed-host": ("VERIFY_IDENTITY", UNNAMED_HOST, "right"),
}


@pytest.mark.parametrize("case", FAILING_CHECKS)
def test_a_certificate_that_fails_the_check_is_a_logged_503(
    deployer: Deployer, database: Database, service_name: str, case: str
) -> None:
    tls = _tls(database)
    mode, host, ca = FAILING_CHECKS[case]
    options = {"ssl-mode": mode, "ssl-ca": str(tls.other_ca if ca == "other" else tls.ca)}
    deployed = deployer.deployed(
        service_name, wait_path="/healthz", url_options=options, proxy_host=host
    )
    with deployed as fresh, fresh.client() as client:
        watch = LogWatch(fresh.running.log)
        for path in (demo_path(NAME), "/readyz"):
            response = client.get(path)
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == JSON
            assert response.json() == ERRORS["database_unavailable"].body
        lines = watch.wait_for("database unavailable:", 2)
        assert_one_line_events(lines)
        warnings = [line for line in lines if " WARNING " in line]
        assert sum("database unavailable:" in line for line in warnings) == 2, lines
        assert fresh.held_connections() == 0


def test_verify_ca_accepts_a_certificate_for_another_host(
    deployer: Deployer, database: Database, service_name: str
) -> None:
    """VERIFY_CA checks the chain only: the host the certificate names does not matter."""
    tls = _tls(database)
    options = {"ssl-mode": "VERIFY_CA", "ssl-ca": str(tls.ca)}
    # Started once it lives, not once it is ready: a target that refuses the certificate then
    # fails here at its first lookup, not after the kit's minute of waiting for /readyz.
    deployed = deployer.deployed(
        service_name, wait_path="/healthz", require_tls=True, url_options=options,
        proxy_host=UNNAMED_HOST,
    )  # fmt: skip
    with deployed as fresh, fresh.client() as client:
        response = client.get(demo_path(NAME))
        assert response.status_code == 200, response.text
        assert response.json() == database.lookup(NAME)
        assert client.get("/readyz").status_code == 200


def test_no_tls_asked_works_against_a_server_that_offers_it(
    service: Deployment, database: Database
) -> None:
    """The long-running instance of every other test: a plain URL, a server offering TLS."""
    _tls(database)
    ((have_ssl,),) = database.execute("SELECT @@have_ssl")
    assert have_ssl == "YES"
    with service.client() as client:
        response = client.get(demo_path(NAME))
    assert response.status_code == 200, response.text
    assert response.json() == database.lookup(NAME)


@pytest.mark.parametrize("options", [{}, {"ssl-mode": "disabled"}], ids=["default", "disabled"])
def test_disabled_is_plaintext(
    deployer: Deployer, database: Database, service_name: str, options: dict[str, str]
) -> None:
    """DISABLED, the default, asks for no TLS: a login the server accepts only over TLS fails."""
    _tls(database)
    deployed = deployer.deployed(
        service_name, wait_path="/healthz", require_tls=True, url_options=options
    )
    with deployed as fresh, fresh.client() as client:
        response = client.get(demo_path(NAME))
    assert response.status_code == 503, response.text
    assert response.json() == ERRORS["database_unavailable"].body
