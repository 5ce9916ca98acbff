"""``python -m contract.scratch``: an empty scratch database for the services' own unit tests.

Starts the kit's throw-away server (or uses ``DATABASE_URL``'s), creates a database holding an
empty ``demo_data`` table (``schema.sql``) and a user with every privilege on it plus PROCESS,
prints that user's ``mysql://`` URL on one line, and keeps everything until its standard input
closes (or it gets SIGTERM or Ctrl-C); then it drops both and stops the server.

The throw-away server offers no TLS: the services' own tests check that ``ssl-mode=REQUIRED``
refuses a server without it (the contract's tests use one that offers it).

The noxfile's ``service`` session runs it in an environment of its own (the kit's, never the
service's) and gives the URL to the service's tests as ``TEST_DATABASE_URL``.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

from contract.database import provide_database


def _exit(signum: int, frame: FrameType | None) -> None:
    sys.exit(128 + signum)  # unwinds the context managers: nothing is left behind


def main() -> None:
    signal.signal(signal.SIGTERM, _exit)
    with provide_database(prefix="unit", tls=False) as database:
        owner = database.create_owner("unit")
        print(owner.url(database.name), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
