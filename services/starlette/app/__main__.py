"""``python -m app``, the image's command: uvicorn run programmatically, because its CLI reads
no PORT and an exec-form CMD has no shell to expand one (https://www.uvicorn.org/deployment/)."""

from __future__ import annotations

import logging.config
from typing import Any

import uvicorn

from app.log import LOG_CONFIG

# Seconds SIGTERM waits for requests in flight: above the slowest one, DB_POOL_TIMEOUT and
# twice DB_CONNECT_TIMEOUT + DB_QUERY_TIMEOUT (a retry), 19 s with the defaults.
GRACEFUL_SHUTDOWN_SECONDS = 20


def server_options() -> dict[str, Any]:  # https://www.uvicorn.org/settings/
    from app import config  # read once logging is set up, so that a refusal is logged

    return dict(
        host="0.0.0.0",
        port=config.PORT,
        workers=config.WEB_CONCURRENCY,
        loop="uvloop",
        http="httptools",
        ws="none",  # no WebSocket routes
        lifespan="on",  # a failing lifespan stops the worker instead of serving without a pool
        access_log=config.ACCESS_LOG,
        log_config=LOG_CONFIG,
        proxy_headers=False,  # X-Forwarded-For would only change access-log addresses
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def main() -> None:
    logging.config.dictConfig(LOG_CONFIG)
    # An import string: each of WEB_CONCURRENCY worker processes imports its own app.
    uvicorn.run("app.main:app", **server_options())


if __name__ == "__main__":
    main()
