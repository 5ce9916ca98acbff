"""``python -m app``: uvicorn with the settings; the container's start command.

uvicorn's CLI reads ``WEB_CONCURRENCY`` but not ``PORT``, so without a shell to expand it the
server is started programmatically (https://www.uvicorn.org/deployment/#running-programmatically,
https://www.uvicorn.org/settings/).
"""

from __future__ import annotations

import copy
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from app import settings

# Seconds SIGTERM waits for in-flight requests before cancelling them. A request is bounded
# by DB_POOL_TIMEOUT + DB_QUERY_TIMEOUT anyway; with the pool's close this stays within
# Kubernetes' default 30 s grace period and the contract's ~10 s.
GRACEFUL_SHUTDOWN_SECONDS = 5


def log_config() -> dict[str, Any]:
    """uvicorn's own logging setup, plus the ``app`` loggers on its stderr handler."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["app"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def main() -> None:
    uvicorn.run(
        # An import string: each of WEB_CONCURRENCY worker processes imports its own app.
        "app.main:app",
        host="0.0.0.0",
        port=settings.PORT,
        workers=settings.WEB_CONCURRENCY,
        loop="uvloop",
        http="httptools",
        ws="none",  # no WebSocket routes: don't load a WebSocket protocol
        lifespan="on",  # a failing lifespan stops the worker instead of serving without a pool
        access_log=settings.ACCESS_LOG,
        log_config=log_config(),
        # Only access-log client addresses would use X-Forwarded-For, and by default uvicorn
        # trusts it from 127.0.0.1 only: skip that per-request middleware.
        proxy_headers=False,
        server_header=False,  # don't name the server software in every response
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


if __name__ == "__main__":
    main()
