"""A throw-away MySQL-compatible server started from the machine's own binaries.

Used when no ``DATABASE_URL`` is given: a fresh data directory in a temporary folder, a free
port on 127.0.0.1, root without a password, everything removed on exit. Works with MariaDB's
``mariadbd`` (``mariadb-install-db``) and with MySQL's ``mysqld`` (``--initialize-insecure``).
Its default time zone is not UTC (``TIME_ZONE``), so a client that relies on the server's zone
instead of setting its own (CONTRACT.md: the connection's ``time_zone`` is ``+00:00``) reads
its ``TIMESTAMP`` columns shifted, and the tests see it. It offers TLS with a certificate for
127.0.0.1 and localhost signed by a CA made at start (``tls``), beside a second CA that signed
nothing of it, so a client that checks the certificate against the wrong CA must fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pymysql
import trustme

from contract.process import free_port, stop_group, wait_ready

# Debian and most distributions keep the server outside a normal user's PATH.
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
START_TIMEOUT = 60.0
# An offset no host runs in by default, with a half hour that shows in every timestamp.
TIME_ZONE = "+05:30"

MISSING_SERVER = """\
No MySQL-compatible server binary (mariadbd or mysqld) was found, and DATABASE_URL is not set.
Either install one (scripts/install-system-packages installs mariadb-server), or point the
kit at a server you run:  DATABASE_URL=mysql://root:password@127.0.0.1:3306/test nox -s contract
(an administrator such as root: the kit creates and drops a scratch database and its users,
and the fault tests kill connections and set read_only and time_zone globally for a while)."""


class ServerUnavailableError(RuntimeError):
    """No server could be found or started."""


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of a throw-away TLS set-up: the server's CA, its certificate and key, and a
    second CA that signed nothing the server presents."""

    ca: Path
    cert: Path
    key: Path
    other_ca: Path


def make_tls_files(folder: Path) -> TlsFiles:
    """Two CAs and a server certificate (127.0.0.1, localhost) signed by the first (trustme)."""
    folder.mkdir(parents=True, exist_ok=True)
    files = TlsFiles(
        ca=folder / "ca.pem",
        cert=folder / "server.pem",
        key=folder / "server.key",
        other_ca=folder / "other-ca.pem",
    )
    rsa = trustme.KeyType.RSA  # what every client library and both servers take
    ca, other = trustme.CA(key_type=rsa), trustme.CA(key_type=rsa)
    server = ca.issue_cert("127.0.0.1", "localhost", common_name="127.0.0.1", key_type=rsa)
    ca.cert_pem.write_to_path(files.ca)
    other.cert_pem.write_to_path(files.other_ca)
    server.cert_chain_pems[0].write_to_path(files.cert)
    server.private_key_pem.write_to_path(files.key)
    return files


def find_server() -> tuple[Path, bool]:
    """Return the server binary and whether it is MariaDB."""
    for name in ("mariadbd", "mysqld"):
        found = shutil.which(name, path=SEARCH_PATH)
        if found:
            version = subprocess.run(
                [found, "--version"], capture_output=True, text=True, check=False
            ).stdout
            return Path(found), "mariadb" in version.lower()
    raise ServerUnavailableError(MISSING_SERVER)


def _initialise(binary: Path, is_mariadb: bool, datadir: Path, user_args: list[str]) -> None:
    if is_mariadb:
        installer = shutil.which("mariadb-install-db", path=SEARCH_PATH) or shutil.which(
            "mysql_install_db", path=SEARCH_PATH
        )
        if installer is None:
            raise ServerUnavailableError("mariadbd found but not mariadb-install-db.")
        command = [installer, "--no-defaults", f"--datadir={datadir}"]
        command += ["--auth-root-authentication-method=normal", "--skip-test-db"]
    else:
        command = [str(binary), "--no-defaults", "--initialize-insecure", f"--datadir={datadir}"]
    result = subprocess.run([*command, *user_args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ServerUnavailableError(f"{command[0]} failed:\n{result.stdout}\n{result.stderr}")


class ThrowawayServer:
    """A server process on a data directory of its own; ``restart()`` keeps data and port."""

    def __init__(self, root: Path, *, tls: bool = True) -> None:
        binary, is_mariadb = find_server()
        # A temporary folder of its own: servers beside it (other containers' too) reuse pids,
        # and with them the names of the temporary tables the bootstrap makes in /tmp.
        # mysqld refuses to run as root unless told to; a normal user needs nothing.
        (root / "tmp").mkdir()
        user_args = [f"--tmpdir={root / 'tmp'}", *(["--user=root"] if os.geteuid() == 0 else [])]
        _initialise(binary, is_mariadb, root / "data", user_args)
        self.host, self.port = "127.0.0.1", free_port()
        self.tls = make_tls_files(root / "tls") if tls else None
        self.log = root / "server.log"
        self.command = [
            str(binary),
            "--no-defaults",
            f"--datadir={root / 'data'}",
            f"--socket={root / 'mysqld.sock'}",
            f"--pid-file={root / 'mysqld.pid'}",
            f"--log-error={self.log}",
            f"--bind-address={self.host}",
            f"--port={self.port}",
            "--skip-name-resolve",
            f"--default-time-zone={TIME_ZONE}",
            "--max-connections=2000",
            "--innodb-buffer-pool-size=512M",
            # Throw-away data: durability buys nothing and costs seeding time.
            "--innodb-flush-log-at-trx-commit=0",
            "--local-infile=1",
            *user_args,
        ]
        if self.tls:
            self.command += [
                f"--ssl-ca={self.tls.ca}",
                f"--ssl-cert={self.tls.cert}",
                f"--ssl-key={self.tls.key}",
            ]
        if not is_mariadb:
            self.command.append("--mysqlx=OFF")  # a second port we would have to pick and free
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            self.command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True,  # a group of its own, for stop_group()
        )  # fmt: skip
        try:
            wait_ready(self._process, self._answers, what="the database server", log=self.log,
                       timeout=START_TIMEOUT, error=ServerUnavailableError)  # fmt: skip
        except ServerUnavailableError:
            self.stop()
            raise

    def _answers(self) -> bool:
        try:
            pymysql.connect(host=self.host, port=self.port, user="root", connect_timeout=1).close()
        except pymysql.err.OperationalError:
            return False
        return True

    def stop(self) -> None:
        """A clean shutdown, as an operator's restart does: clients see their links close."""
        if self._process is not None:
            stop_group(self._process, timeout=30)
            self._process = None

    def restart(self) -> None:
        self.stop()
        self.start()


@contextmanager
def throwaway_server(*, tls: bool = True) -> Iterator[ThrowawayServer]:
    """Start a server in a temporary directory; yield it; stop and remove it on exit."""
    with tempfile.TemporaryDirectory(prefix="contract-mysqld-") as tmp:
        server = ThrowawayServer(Path(tmp), tls=tls)
        server.start()
        try:
            yield server
        finally:
            server.stop()
