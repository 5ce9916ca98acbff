"""``nox -s up``: the four services side by side on one database, for trying them by hand.

Starts the kit's throw-away database (or uses ``DATABASE_URL``), loads the fixtures plus a few
thousand blog-like rows, starts every service by its Dockerfile command on consecutive ports,
prints the URLs, and stops everything on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import random
import signal
import tempfile
import threading
from contextlib import ExitStack
from pathlib import Path
from types import FrameType

from contract.database import provide_database
from contract.fixtures import blog_name, load_fixtures
from contract.services import discover, run_service


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="nox -s up --", description=__doc__)
    parser.add_argument("--port", type=int, default=8001, help="first port (default: 8001)")
    parser.add_argument("--rows", type=int, default=5000, help="blog-like rows to add")
    parser.add_argument("--service", action="append", help="start only these (repeatable)")
    args = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    with ExitStack() as stack:
        database = stack.enter_context(provide_database(prefix="up"))
        load_fixtures(database)
        rng = random.Random(0)
        database.insert([blog_name(rng) for _ in range(args.rows)])
        reader = database.create_reader("up")
        url = reader.url(database.name)
        print(f"database (admin): {database.url}\ndatabase (services): {url}", flush=True)
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="up-logs-")))
        for offset, spec in enumerate(discover(args.service)):
            service = stack.enter_context(
                run_service(spec, database_url=url, port=args.port + offset, log_dir=logs)
            )
            print(f"{spec.name:>10}: {service.url}/demo   (log: {service.log})", flush=True)
        print("Ctrl-C stops everything.", flush=True)
        stop.wait()
        print("stopping...", flush=True)


if __name__ == "__main__":
    main()
