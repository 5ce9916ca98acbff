"""The database the kit tests against: a scratch schema on a real MySQL-compatible server.

``provide_database()`` takes the server from ``DATABASE_URL`` when it is set (any database named
in it is ignored; the user is an administrator: see ``contract.mysqld.MISSING_SERVER``), or
starts a throw-away one (``contract.mysqld``). Either way it creates a fresh database holding
the blog's ``demo_data`` table (loadtest's ``schema.sql``, the one copy), yields a
``Database``, and drops the database and every user it made on exit, so existing data on a
shared server is never touched.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib.resources import files
from typing import Any
from urllib.parse import quote, urlencode

import pymysql
import pymysql.cursors
from loadtest.database import server_params

from contract.mysqld import ThrowawayServer, TlsFiles, throwaway_server

SCHEMA = files("loadtest").joinpath("schema.sql")
LOOKUP = "SELECT id, name, create_time, update_time FROM demo_data WHERE name = %s ORDER BY id"
INSERT_NAME = "INSERT INTO demo_data (name) VALUES (%s)"
INSERT_TIMED = "INSERT INTO demo_data (name, create_time, update_time) VALUES (%s, %s, %s)"
ZERO_DATE = "0000-00-00 00:00:00"
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
TIMESTAMPS = ("create_time", "update_time")
ER_NO_SUCH_THREAD = 1094

Row = dict[str, Any]


@dataclass(frozen=True)
class ServerAddress:
    """Where a server listens and how to log in to it."""

    host: str
    port: int
    user: str
    password: str = ""

    def url(self, database: str, **options: str) -> str:
        """A ``mysql://`` URL for ``database``, as the services expect it; ``options`` are its
        query (``ssl_mode="VERIFY_CA"`` gives ``?ssl-mode=VERIFY_CA``)."""
        login = quote(self.user, safe="")
        secret = quote(self.password, safe="")
        credentials = f"{login}:{secret}" if secret else login
        query = urlencode({key.replace("_", "-"): value for key, value in options.items()})
        url = f"mysql://{credentials}@{self.host}:{self.port}/{database}"
        return f"{url}?{query}" if query else url

    def connect(self, database: str | None = None, **kwargs: Any) -> pymysql.Connection[Any]:
        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            database=database,
            charset="utf8mb4",
            autocommit=True,
            connect_timeout=5,
            # Same session as the services: TIMESTAMP columns read back in UTC.
            init_command="SET time_zone = '+00:00'",
            **kwargs,
        )


@dataclass
class Database:
    """A scratch database with the ``demo_data`` table, on a real server."""

    server: ServerAddress
    name: str
    # The server process, when the kit started it (None with DATABASE_URL): tests may restart it.
    process: ThrowawayServer | None = None
    _users: list[str] = field(default_factory=list)
    _oracle: pymysql.Connection[Any] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The admin URL of the scratch database (may write; the seeder uses it)."""
        return self.server.url(self.name)

    @property
    def tls(self) -> TlsFiles | None:
        """The CA files of the kit's own server (None with ``DATABASE_URL``: not ours to know)."""
        return self.process.tls if self.process else None

    def connect(self, **kwargs: Any) -> pymysql.Connection[Any]:
        """A new admin connection to the scratch database."""
        return self.server.connect(self.name, **kwargs)

    def execute(self, sql: str, args: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with self.connect() as conn, conn.cursor() as cursor:
            cursor.execute(sql, args)
            return list(cursor.fetchall())

    def create_reader(
        self, prefix: str = "svc", password: str | None = None, *, require_tls: bool = False
    ) -> ServerAddress:
        """Create a least-privilege login (SELECT on demo_data only) and return it.

        One user per started service makes the server's own connection count per service exact.
        ``reader.url(database.name)`` is the URL a service gets. ``require_tls``: the server
        refuses the login over a plaintext connection (``REQUIRE SSL``).
        """
        grants = [f"SELECT ON `{self.name}`.`demo_data`"]
        return self._create_user(prefix, grants, password, " REQUIRE SSL" if require_tls else "")

    def create_owner(self, prefix: str) -> ServerAddress:
        """Create a login with every privilege on this database, plus PROCESS, and return it.

        What the services' own database-backed tests get (``python -m contract.scratch``).
        """
        return self._create_user(prefix, [f"ALL PRIVILEGES ON `{self.name}`.*", "PROCESS ON *.*"])

    def _create_user(
        self, prefix: str, grants: Sequence[str], password: str | None = None, require: str = ""
    ) -> ServerAddress:
        user = f"{prefix[:16]}_{secrets.token_hex(4)}"
        password = secrets.token_urlsafe(12) if password is None else password
        with self.connect() as conn, conn.cursor() as cursor:
            cursor.execute(f"CREATE USER %s@'%%' IDENTIFIED BY %s{require}", (user, password))
            for grant in grants:
                cursor.execute(f"GRANT {grant} TO %s@'%%'", (user,))
        self._users.append(user)
        return replace(self.server, user=user, password=password)

    def connections(self, user: str) -> int:
        """How many connections ``user`` holds right now, as the server counts them."""
        return len(self.connection_ids(user))

    def connection_ids(self, user: str) -> set[int]:
        """The server's ids of the connections ``user`` holds right now."""
        processes = "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = %s"
        return {int(row[0]) for row in self.execute(processes, (user,))}

    def kill_connections(self, user: str) -> set[int]:
        """``KILL`` every connection ``user`` holds, as an operator or a failover would."""
        killed = self.connection_ids(user)
        with self.connect() as conn, conn.cursor() as cursor:
            for connection_id in killed:
                try:
                    cursor.execute("KILL CONNECTION %s", (connection_id,))
                except pymysql.err.OperationalError as error:
                    if error.args[0] != ER_NO_SUCH_THREAD:  # it closed meanwhile: as good
                        raise
        return killed

    @contextmanager
    def grant_revoked(self, user: str) -> Iterator[None]:
        """A reader without its SELECT on demo_data for as long as the block runs."""
        self.execute(f"REVOKE SELECT ON `{self.name}`.`demo_data` FROM %s@'%%'", (user,))
        try:
            yield
        finally:
            self.execute(f"GRANT SELECT ON `{self.name}`.`demo_data` TO %s@'%%'", (user,))

    @contextmanager
    def table_renamed(self) -> Iterator[None]:
        """``demo_data`` under another name for as long as the block runs (a missing table)."""
        self.execute("RENAME TABLE demo_data TO demo_data_away")
        try:
            yield
        finally:
            self.execute("RENAME TABLE demo_data_away TO demo_data")

    @contextmanager
    def global_variable(self, name: str, value: str) -> Iterator[None]:
        """The server's global ``name`` set to ``value`` while the block runs, then restored.

        Global: it applies to the whole server (new sessions, for most variables), so a test
        keeps the block short. Needs an administrator (SUPER or the variable's own privilege).
        """
        if not re.fullmatch(r"[a-z_]+", name):
            raise ValueError(f"not a variable name: {name!r}")
        ((before,),) = self.execute(f"SELECT @@GLOBAL.{name}")
        self.execute(f"SET GLOBAL {name} = %s", (value,))
        try:
            yield
        finally:
            self.execute(f"SET GLOBAL {name} = %s", (before,))

    def insert(self, names: Sequence[str | tuple[str, datetime | None, datetime | None]]) -> None:
        """Insert rows: a bare name takes the column defaults, a tuple sets the timestamps."""
        with self.connect() as conn, conn.cursor() as cursor:  # executemany skips an empty list
            cursor.executemany(INSERT_NAME, [(n,) for n in names if isinstance(n, str)])
            cursor.executemany(INSERT_TIMED, [n for n in names if not isinstance(n, str)])

    def insert_zero_dates(self, name: str) -> None:
        """A row whose timestamps are the zero date (the session allows it, whatever the
        server's sql_mode)."""
        with self.connect() as conn, conn.cursor() as cursor:
            cursor.execute("SET SESSION sql_mode = ''")
            cursor.execute(INSERT_TIMED, (name, ZERO_DATE, ZERO_DATE))

    def lookup(self, name: str) -> list[Row]:
        """The oracle: the contract's statement run directly, rows shaped as the JSON must be.

        On one connection kept for every lookup (reopened after a server restart): a connect
        costs a handshake and a TLS context, thousands of times over in a fuzz run.
        """
        with self._oracle_connection().cursor(pymysql.cursors.DictCursor) as cursor:
            cursor.execute(LOOKUP, (name,))
            rows = cursor.fetchall()
        return [row | {t: _timestamp(row[t]) for t in TIMESTAMPS} for row in rows]

    def _oracle_connection(self) -> pymysql.Connection[Any]:
        try:
            if self._oracle is not None:
                self._oracle.ping()
                return self._oracle
        except pymysql.err.Error:  # closed by a restart of the server, or by a test's KILL
            pass
        self._oracle = self.connect()
        return self._oracle

    def drop(self) -> None:
        if self._oracle is not None and self._oracle.open:
            self._oracle.close()
        self._oracle = None
        with self.server.connect() as conn, conn.cursor() as cursor:
            for user in self._users:
                cursor.execute("DROP USER IF EXISTS %s@'%%'", (user,))
            cursor.execute(f"DROP DATABASE IF EXISTS `{self.name}`")


def _timestamp(value: datetime | str | None) -> str | None:
    # PyMySQL leaves a value it cannot read as text: the zero date, which the contract makes null.
    return value.strftime(TIMESTAMP_FORMAT) if isinstance(value, datetime) else None


@contextmanager
def provide_database(prefix: str = "contract", *, tls: bool = True) -> Iterator[Database]:
    """Yield a scratch database on ``DATABASE_URL``'s server or on a throw-away one (offering
    TLS unless ``tls`` is false)."""
    with ExitStack() as stack:
        url = os.environ.get("DATABASE_URL")
        if url:
            server, process = ServerAddress(**server_params(url)), None
        else:
            process = stack.enter_context(throwaway_server(tls=tls))
            server = ServerAddress(host=process.host, port=process.port, user="root")
        yield stack.enter_context(scratch_database(server, prefix, process))


@contextmanager
def scratch_database(
    server: ServerAddress, prefix: str, process: ThrowawayServer | None = None
) -> Iterator[Database]:
    """A fresh database holding ``demo_data`` on ``server``, dropped with its users on exit."""
    database = Database(server=server, name=f"{prefix}_{secrets.token_hex(4)}", process=process)
    with server.connect() as conn, conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{database.name}` CHARACTER SET utf8mb4")
    try:
        with database.connect() as conn, conn.cursor() as cursor:
            cursor.execute(SCHEMA.read_text())
        yield database
    finally:
        database.drop()
