"""One line per event on stderr, uvicorn's loggers included (https://www.uvicorn.org/settings/#logging)."""

from __future__ import annotations

import logging
import time
import traceback
from types import TracebackType
from typing import Any

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


class OneLineFormatter(logging.Formatter):
    """UTC times; an exception as ``Class: message at file:line`` on its record's line."""

    converter = staticmethod(time.gmtime)

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%SZ")

    def formatException(self, ei: ExcInfo) -> str:
        _, error, tb = ei
        frames = traceback.extract_tb(tb)
        where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
        return f"{type(error).__name__}: {error}{where}"

    def format(self, record: logging.LogRecord) -> str:
        # logging puts the exception on a line of its own; a message may hold newlines too.
        lines = [line.strip() for line in super().format(record).splitlines()]
        message, *details = [line for line in lines if line]
        return f"{message}: {' '.join(details)}" if details else message


def log_config() -> dict[str, Any]:
    """uvicorn's ``log_config``: the app's and uvicorn's loggers at INFO, the rest at WARNING."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"line": {"()": f"{__name__}.OneLineFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "line",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {"app": {"level": "INFO"}, "uvicorn": {"level": "INFO"}},
    }
