"""One line per event on stderr, uvicorn's loggers included: ``LOG_CONFIG`` is uvicorn's
``log_config`` (https://www.uvicorn.org/settings/)."""

from __future__ import annotations

import logging
import time
import traceback
from typing import Any


class OneLineFormatter(logging.Formatter):
    """``time level logger: message``, times in UTC, nothing on a second line."""

    converter = staticmethod(time.gmtime)

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%SZ")

    def formatException(self, ei: Any) -> str:
        _, error, tb = ei
        if error is None:
            return ""
        frames = traceback.extract_tb(tb)
        where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
        return f"{type(error).__name__}: {error}{where}"

    def format(self, record: logging.LogRecord) -> str:
        # logging puts the exception on a line of its own; a message may hold newlines too.
        lines = [line.strip() for line in super().format(record).splitlines()]
        message, *details = [line for line in lines if line]
        return f"{message}: {' '.join(details)}" if details else message


LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"one_line": {"()": OneLineFormatter}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "one_line"}},
    # uvicorn's loggers (uvicorn.error, uvicorn.access) and the app's at INFO, others at WARNING.
    "loggers": {"uvicorn": {"level": "INFO"}, "app": {"level": "INFO"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}
