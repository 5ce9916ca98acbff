"""The ``name`` of a ``/demo`` request, parsed strictly from the raw query string.

Starlette's query parser replaces undecodable bytes silently and keeps one of a repeated
parameter; this one refuses both.
"""

from __future__ import annotations

import random
import re
from urllib.parse import parse_qsl

# The alphabet and name lengths of requests that give no name.
ALPHABET = "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+=-"
MAX_NAME = 255
# A "%" not followed by two hex digits; parse_qsl would keep it as a literal "%".
BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


class InvalidQuery(Exception):
    """The query string is not valid percent-encoded UTF-8."""


class InvalidName(Exception):
    """``name`` is repeated, empty, longer than 255 characters or contains NUL."""


def random_name() -> str:
    """A random name: 1 to 253 characters of ALPHABET."""
    return "".join(random.choices(ALPHABET, k=random.randrange(1, 254)))


def parse_name(query_string: bytes) -> str | None:
    """The ``name`` parameter of a raw query string, or None when it has none."""
    if not query_string:
        return None
    if BAD_ESCAPE.search(query_string):
        raise InvalidQuery
    try:
        # Raw bytes must be UTF-8 as well as percent-escaped ones; the strict UTF-8 codec
        # also rejects overlong forms and encoded surrogates.
        pairs = parse_qsl(query_string.decode(), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as error:
        raise InvalidQuery from error
    names = [value for key, value in pairs if key == "name"]
    if not names:
        return None
    if len(names) > 1 or not 0 < len(names[0]) <= MAX_NAME or "\x00" in names[0]:
        raise InvalidName
    return names[0]
