"""How many connections a login held at most while a block ran (the server's own count)."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pymysql

from contract.database import Database

# How often the server's connection count is read by default.
POLL_S = 0.1
COUNT = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = %s"


class ConnectionPeak:
    """The most connections ``user`` held at any reading, every ``every`` s, while in the block.

    A background thread reads the server's own count (``PROCESSLIST``) on one admin connection,
    from entry to exit, with one reading at each end; a connection opened and closed between
    two readings is missed, so the peak is a lower bound. A reading the server fails (a lost
    connection, a temporary table it could not write) is skipped and the next one reconnects:
    counting must not end a run. ``peak`` is -1 if no reading succeeded.
    """

    def __init__(self, database: Database, user: str, every: float = POLL_S) -> None:
        self._database, self._user, self._every = database, user, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name=f"peak-{user}", daemon=True)
        self._connection: pymysql.Connection[Any] | None = None
        self.peak = -1

    def _read(self) -> None:
        try:
            if self._connection is None:
                self._connection = self._database.connect(read_timeout=5, write_timeout=5)
            with self._connection.cursor() as cursor:
                cursor.execute(COUNT, (self._user,))
                row = cursor.fetchone()
        except pymysql.MySQLError:
            self._close()
            return
        self.peak = max(self.peak, int(row[0]) if row else 0)

    def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(pymysql.MySQLError):
                self._connection.close()
            self._connection = None

    def _poll(self) -> None:
        while not self._stop.wait(self._every):
            self._read()

    def __enter__(self) -> ConnectionPeak:
        self._read()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        # Each reading is bounded by the connection's timeouts; the thread ends after its last.
        self._thread.join(timeout=15)
        try:
            if not self._thread.is_alive():
                self._read()
        finally:
            self._close()
