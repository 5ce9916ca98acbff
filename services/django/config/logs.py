"""Log formatting: one line per record, an exception as its class, message and innermost frame.

Log collectors split stderr on newlines; a traceback spread over thirty lines becomes thirty
records. https://docs.python.org/3/library/logging.html#formatter-objects
"""

import logging
import traceback
from types import TracebackType

type ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def one_line(error: BaseException) -> str:
    """``Class: message`` on one line; for a driver error, the driver's code and message."""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


class OneLineFormatter(logging.Formatter):
    """``logging.Formatter`` that keeps every record, exceptions included, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        if self.usesTime():
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
