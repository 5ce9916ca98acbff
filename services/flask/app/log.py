"""One line per event, in UTC: ``2026-12-07T18:00:00Z WARNING app: message``, for the app and
gunicorn's own loggers (``config()`` is gunicorn's ``logconfig_dict``)."""

from __future__ import annotations

import logging
import time
import traceback
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class OneLineFormatter(logging.Formatter):
    """UTC ISO times; an exception as ``Class: message at file:line`` on the same line."""

    converter = time.gmtime  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__(FORMAT, datefmt="%Y-%m-%dT%H:%M:%SZ")

    def format(self, record: logging.LogRecord) -> str:
        exc_info, record.exc_info, record.exc_text = record.exc_info, None, None
        try:
            line = super().format(record)
        finally:
            record.exc_info = exc_info
        if exc_info and exc_info[1]:
            line = f"{line}: {summary(exc_info[1])}"
        return " ".join(line.splitlines())


def summary(error: BaseException) -> str:
    """``Class: message at file:line`` (the innermost frame), on one line."""
    message = " ".join(str(error).split())
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    frames = traceback.extract_tb(error.__traceback__)
    return f"{text} at {frames[-1].filename}:{frames[-1].lineno}" if frames else text


def config(access_log: bool) -> dict[str, Any]:
    """For ``logging.config.dictConfig``: everything on stderr, the access log on stdout."""
    handler = {"class": "logging.StreamHandler", "formatter": "one_line"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"one_line": {"()": OneLineFormatter}},
        "handlers": {
            "stderr": {**handler, "stream": "ext://sys.stderr"},
            "stdout": {**handler, "stream": "ext://sys.stdout"},
        },
        "root": {"level": "INFO", "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {
                "level": "INFO" if access_log else "CRITICAL",
                "handlers": ["stdout"],
                "propagate": False,
            },
        },
    }
