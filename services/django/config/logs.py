"""Log formatting: one line per record, tracebacks included.

Log collectors split stderr on newlines; a traceback spread over thirty lines becomes thirty
records. https://docs.python.org/3/library/logging.html#formatter-objects
"""

import logging


class OneLineFormatter(logging.Formatter):
    """``logging.Formatter`` with line breaks escaped as ``\\n``."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\n", "\\n")
