"""One line per log record, ``time LEVEL logger: message``, an exception on the same line.

Log collectors split stderr on newlines: a traceback would become one record per line.
https://docs.djangoproject.com/en/6.1/topics/logging/#configuring-logging
"""

import logging
import logging.config
import time
import traceback
from types import TracebackType
from typing import Any, NoReturn

from gunicorn import glogging

type ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def one_line(error: BaseException) -> str:
    """``Class: message``, the message's whitespace folded."""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


class OneLineFormatter(logging.Formatter):
    """An exception as ``Class: message at file:line`` (its innermost frame), in UTC."""

    converter = staticmethod(time.gmtime)

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        record.asctime = self.formatTime(record, self.datefmt)
        line = self.formatMessage(record)
        if record.exc_info:
            line = f"{line}: {self.formatException(record.exc_info)}"
        return line.replace("\n", "\\n")

    def formatException(self, ei: ExcInfo | tuple[None, None, None]) -> str:
        _, error, tb = ei
        if error is None:
            return ""
        frames = traceback.extract_tb(tb)
        where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
        return f"{one_line(error)}{where}"


def config() -> dict[str, Any]:
    """Django's ``LOGGING`` and gunicorn's ``logconfig_dict``: everything to stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "line": {
                "()": OneLineFormatter,
                "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
                "datefmt": "%Y-%m-%dT%H:%M:%SZ",
            },
        },
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line"}},
        "root": {"handlers": ["stderr"], "level": "INFO"},
        "loggers": {
            # Django logs every 4xx at WARNING; the access log has them.
            "django": {"level": "ERROR"},
            # Through the root's handler rather than gunicorn's own.
            "gunicorn.error": {"level": "INFO", "propagate": True},
            "gunicorn.access": {"level": "INFO", "propagate": True},
        },
    }


class GunicornLogger(glogging.Logger):  # type: ignore[misc]  # gunicorn has no types
    """gunicorn's logger, building access lines only when ``accesslog`` is set.

    With ``logconfig_dict``, gunicorn builds one for every request, wanted or not.
    """

    def access(self, *args: Any) -> None:
        if self.cfg.accesslog:
            super().access(*args)


def refuse(error: Exception) -> NoReturn:
    """Log ``invalid configuration: NAME: why`` and exit non-zero, before serving."""
    logging.config.dictConfig(config())
    logging.getLogger("config").error("invalid configuration: %s", error)
    raise SystemExit(1)
