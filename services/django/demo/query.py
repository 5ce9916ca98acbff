"""Strict query-string parsing: Django's ``request.GET`` replaces undecodable bytes silently."""

import re
from urllib.parse import parse_qsl

# A "%" not followed by two hex digits; parse_qsl would keep it as a literal "%".
_MALFORMED_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
MAX_NAME_LENGTH = 255


class InvalidQuery(ValueError):
    """The query string is not valid percent-encoded UTF-8."""


class InvalidName(ValueError):
    """``name`` is repeated, empty, too long or contains NUL."""


def parse_name(query: bytes) -> str | None:
    """The ``name`` parameter of a raw query string, or None when it is absent."""
    if not query:
        return None
    if _MALFORMED_ESCAPE.search(query):
        raise InvalidQuery
    try:
        # Raw bytes must be UTF-8 too, not only the percent-encoded ones.
        pairs = parse_qsl(query.decode(), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise InvalidQuery from None
    names = [value for key, value in pairs if key == "name"]
    if not names:
        return None
    if len(names) > 1 or not 0 < len(names[0]) <= MAX_NAME_LENGTH or "\0" in names[0]:
        raise InvalidName
    return names[0]
