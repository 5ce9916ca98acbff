"""``nox -s up``: every target side by side on one database, for trying them by hand.

Starts the kit's throw-away database (or uses ``DATABASE_URL``), seeds it as the comparison does
(``python -m loadtest seed``, then the kit's fixtures), starts every service by its Dockerfile
command on consecutive ports, each with a login of its own, prints the URLs and the
``python -m loadtest run`` command that loads them, and stops everything on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import tempfile
import threading
from contextlib import ExitStack
from pathlib import Path

from contract.database import provide_database
from contract.fixtures import seed_rows
from contract.services import discover, run_with_login


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="nox -s up --", description=__doc__)
    parser.add_argument("--port", type=int, default=8001, help="first port (default: 8001)")
    parser.add_argument(
        "--rows", type=int, default=10_000, help="rows of loadtest's seeded names (default 10,000)"
    )
    parser.add_argument("--service", action="append", help="start only these (repeatable)")
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):  # they end the wait below: no start-up is cut
        signal.signal(signum, lambda *_: stop.set())

    with ExitStack() as stack:
        database = stack.enter_context(provide_database(prefix="up"))
        seed_rows(database, args.rows)
        print(f"database (admin): {database.url}", flush=True)
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="up-logs-")))
        targets = []
        for offset, spec in enumerate(discover(args.service)):
            service, login = stack.enter_context(
                run_with_login(spec, database, port=args.port + offset, log_dir=logs)
            )
            targets += ["--target", f"{spec.name}={service.url}"]
            about = f"login {login.user}, log {service.log}"
            print(f"{spec.name:>13}: {service.url}/demo   ({about})", flush=True)
        load = [sys.executable, "-m", "loadtest", "run", "--rows", str(args.rows), *targets]
        print(f"load them with: {shlex.join(load)}", flush=True)
        print("Ctrl-C stops everything.", flush=True)
        stop.wait()
        print("stopping...", flush=True)


if __name__ == "__main__":
    main()
