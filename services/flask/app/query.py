"""Strict parsing of the raw query string (werkzeug's ``request.args`` replaces bad bytes)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from app.errors import Error, Refused

MAX_NAME = 255  # characters (code points): the column is varchar(255) in utf8mb4

# parse_qsl leaves a "%" without two hex digits as it is: refused here (invalid_query).
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
# Raw bytes above 0x7F stand for themselves, like their %XX escapes: escape them so that UTF-8
# is checked once, over the fully percent-decoded bytes.
_NON_ASCII = re.compile(rb"[\x80-\xff]")


def name_parameter(query_string: bytes) -> str | None:
    """The ``name`` parameter, or None when absent; raises Refused."""
    if _BAD_ESCAPE.search(query_string):
        raise Refused(Error.INVALID_QUERY)
    ascii_query = _NON_ASCII.sub(lambda byte: b"%%%02X" % byte[0][0], query_string)
    try:
        pairs = parse_qsl(ascii_query.decode("ascii"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise Refused(Error.INVALID_QUERY) from None
    names = [value for key, value in pairs if key == "name"]
    if not names:
        return None
    if len(names) > 1 or not 0 < len(names[0]) <= MAX_NAME or "\x00" in names[0]:
        raise Refused(Error.INVALID_NAME)
    return names[0]
