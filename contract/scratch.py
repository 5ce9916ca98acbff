"""``python -m contract.scratch``: a scratch database (and a service) for a package's own tests.

Starts the kit's throw-away server (or uses ``DATABASE_URL``'s), creates a database holding an
empty ``demo_data`` table (loadtest's ``schema.sql``) and a user with every privilege on it plus
PROCESS, prints one JSON line of environment variables for the tests, and keeps everything until
its standard input closes (or it gets SIGTERM or Ctrl-C); then it drops all and stops the
server.

``TEST_DATABASE_URL``: that user's ``mysql://`` URL. With ``--service NAME``, also
``TEST_SERVICE_URL`` and ``TEST_SERVICE_PID``: the target started by its Dockerfile command on a
second database with a reader login of its own, whose owner is ``TEST_SERVICE_DATABASE_URL``
(the tests seed it). The noxfile runs this in an environment of its own (the kit's).

The throw-away server offers no TLS: the services' own tests check that ``ssl-mode=REQUIRED``
refuses a server without it (the contract's tests use one that offers it).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from contextlib import ExitStack
from types import FrameType

from contract.database import provide_database, scratch_database
from contract.services import discover, run_with_login


def _exit(signum: int, frame: FrameType | None) -> None:
    sys.exit(128 + signum)  # unwinds the context managers: nothing is left behind


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m contract.scratch", description=__doc__)
    parser.add_argument("--service", help="also start this target on a database of its own")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _exit)
    with provide_database(prefix="unit", tls=False) as database, ExitStack() as stack:
        env = {"TEST_DATABASE_URL": database.create_owner("unit").url(database.name)}
        if args.service:
            served = stack.enter_context(scratch_database(database.server, "unitsvc"))
            (spec,) = discover([args.service])
            running, _ = stack.enter_context(run_with_login(spec, served))
            env |= {
                "TEST_SERVICE_URL": running.url,
                "TEST_SERVICE_PID": str(running.pid),
                "TEST_SERVICE_DATABASE_URL": served.create_owner("unitseed").url(served.name),
            }
        print(json.dumps(env), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
