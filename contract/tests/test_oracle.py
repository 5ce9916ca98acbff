"""The oracle (the kit's own lookup) keeps one connection: a fuzz run makes thousands of lookups,
and each connect costs a handshake and a TLS context."""

from __future__ import annotations

from contract.database import Database


def test_lookups_share_one_connection(database: Database) -> None:
    def connections() -> int:  # the server's count of connection attempts since it started
        ((_, value),) = database.execute("SHOW GLOBAL STATUS LIKE 'Connections'")
        return int(value)

    database.lookup("dup")
    before = connections()
    for _ in range(20):
        assert database.lookup("dup")
    assert connections() - before < 10  # the count's own connection, and any other client's
