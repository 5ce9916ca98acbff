"""``python -m app``: uvicorn with the settings (https://www.uvicorn.org/deployment/#running-programmatically).

uvicorn's CLI does not read ``PORT``, and an exec-form ``CMD`` has no shell to expand it.
"""

from __future__ import annotations

import logging.config
import sys
from typing import Any

import uvicorn
from pydantic import ValidationError

from app.config import Settings, get_settings, refusal
from app.log import log_config

# Seconds SIGTERM waits for in-flight requests: above the worst-case request,
# DB_POOL_TIMEOUT + DB_CONNECT_TIMEOUT + DB_QUERY_TIMEOUT (12 s by default).
GRACEFUL_SHUTDOWN_SECONDS = 20


def server_options(settings: Settings) -> dict[str, Any]:
    """https://www.uvicorn.org/settings/; uvloop and httptools, installed, are the defaults."""
    return dict(
        host="0.0.0.0",
        port=settings.PORT,
        workers=settings.WEB_CONCURRENCY,
        lifespan="on",  # a failing lifespan stops the worker rather than serving without a pool
        access_log=settings.ACCESS_LOG,
        log_config=log_config(),
        proxy_headers=False,  # X-Forwarded-For would only change access-log addresses
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


def main() -> None:
    try:
        settings = get_settings()
    except ValidationError as error:
        logging.config.dictConfig(log_config())
        logging.getLogger("app").critical(refusal(error))
        sys.exit(2)
    # An import string: each of the WEB_CONCURRENCY worker processes imports the app.
    uvicorn.run("app.main:app", **server_options(settings))


if __name__ == "__main__":
    main()
