"""How a service connects: its URL's password, its session's time zone, its pool at start."""

from __future__ import annotations

from contract.client import demo_path
from contract.database import Database
from contract.fixtures import FIXED
from contract.mysqld import TIME_ZONE
from contract.tests.conftest import CONNECT_TIMEOUT, FAIL_BOUND, POOL_SIZE, Deployer, eventually

# Every character a URL's userinfo reserves, and a literal "%25" that a second decoding would
# turn into "%".
PASSWORD = "p@ss:w/rd?#[%25]+ &=;"
LATENCY = 0.1  # per reply from the database while the pool fills
UTC = FIXED.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_password_and_time_zone_are_the_services_own(
    deployer: Deployer, service_name: str, database: Database
) -> None:
    # The URL carries the password percent-encoded (CONTRACT.md, DATABASE_URL), to be decoded
    # exactly once. The kit's own server runs in TIME_ZONE already; a DATABASE_URL server is put
    # in it here, for the sessions the fresh instance opens: one that never sets its own zone
    # reads the TIMESTAMPs shifted by five and a half hours.
    with (
        database.global_variable("time_zone", TIME_ZONE),
        deployer.deployed(service_name, wait_path="/healthz", password=PASSWORD) as fresh,
        fresh.client() as client,
    ):
        ready = eventually(lambda: client.get("/readyz").status_code == 200, FAIL_BOUND)
        assert ready, f"not ready with a password of reserved characters:\n{fresh.log_tail()}"
        (fixed,) = client.get(demo_path("fixed")).json()
        dup = client.get(demo_path("dup")).json()
    assert fixed["create_time"] == fixed["update_time"] == UTC, "the session is not in UTC"
    assert dup == database.lookup("dup")


def test_pool_is_open_before_the_first_request(deployer: Deployer, service_name: str) -> None:
    # Only /healthz is asked, which never touches the database: the pool opens on its own.
    with deployer.deployed(service_name, wait_path="/healthz") as fresh:
        filled = eventually(lambda: fresh.held_connections() >= POOL_SIZE, 2 * CONNECT_TIMEOUT)
        held = fresh.held_connections()
    assert filled, f"{held} of {POOL_SIZE} connections open before the first lookup"
    assert held == POOL_SIZE


def test_pool_is_filled_concurrently_when_the_worker_starts(
    deployer: Deployer, service_name: str
) -> None:
    # A handshake takes at least two replies (greeting, then the login's answer), each LATENCY
    # late: one after the other, the pool's connections are accepted at least that far apart.
    with deployer.deployed(service_name, wait_path="/healthz", latency=LATENCY) as fresh:
        filled = eventually(lambda: fresh.held_connections() >= POOL_SIZE, 2 * CONNECT_TIMEOUT)
        accepted = fresh.proxy.accepted[:POOL_SIZE]
    assert filled, f"{len(accepted)} of {POOL_SIZE} connections opened before the first lookup"
    spread = accepted[-1] - accepted[0]
    serial = (POOL_SIZE - 1) * 2 * LATENCY
    assert spread < serial / 2, f"connections opened over {spread:.2f} s, serially {serial:.1f} s"
