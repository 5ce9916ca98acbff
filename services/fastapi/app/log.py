"""Logging: uvicorn's own configuration, one line per event, everything on stderr.

uvicorn takes a ``logging.config.dictConfig`` dictionary (https://www.uvicorn.org/settings/,
``log_config``): this is its default, with the formatter below on every handler, the access
log on stderr too, the ``app`` loggers at INFO and anything else at WARNING.

An unexpected exception is answered with the 500 body and then re-raised for the server to log
(Starlette's ``ServerErrorMiddleware``, as ASGI asks): uvicorn logs it at ERROR with the
exception attached, and ``OneLineFormatter`` writes the exception's class, its message and the
innermost frame as ``file:line`` on the same line, never a traceback
(https://docs.python.org/3/library/logging.html#logging.Formatter.formatException).
"""

from __future__ import annotations

import copy
import logging
import traceback
from types import TracebackType
from typing import Any

from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import DefaultFormatter

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


class OneLineFormatter(DefaultFormatter):
    """uvicorn's format, with an exception summarised and every record on one line."""

    def formatException(self, ei: ExcInfo) -> str:
        _, error, tb = ei
        if error is None:
            return ""
        frames = traceback.extract_tb(tb)
        where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
        return f"{type(error).__name__}: {error}{where}"

    def formatStack(self, stack_info: str) -> str:
        return ""

    def format(self, record: logging.LogRecord) -> str:
        # logging puts the exception on a line of its own; the message may hold newlines too.
        lines = [line.strip() for line in super().format(record).splitlines()]
        message, *details = [line for line in lines if line]
        return f"{message}: {' '.join(details)}" if details else message


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration, one line per event, all of it on stderr."""
    config = copy.deepcopy(LOGGING_CONFIG)
    for formatter in config["formatters"].values():
        if formatter["()"] == "uvicorn.logging.DefaultFormatter":
            formatter["()"] = f"{__name__}.OneLineFormatter"
    config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    config["loggers"]["app"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    return config
