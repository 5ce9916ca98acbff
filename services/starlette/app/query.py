"""``/demo``'s query string, parsed strictly from the raw bytes (``request.query_params``
replaces undecodable bytes silently), and random names for requests without one."""

from __future__ import annotations

import random
import re
from urllib.parse import parse_qsl

# The alphabet and name lengths of requests that give no name.
ALPHABET = "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+=-"
MAX_NAME = 255
# A "%" not followed by two hex digits: parse_qsl would keep it as a literal "%".
BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


class InvalidQuery(Exception):
    """The query string is not valid percent-encoded UTF-8."""


class InvalidName(Exception):
    """``name`` is repeated, empty, too long or contains NUL."""


def random_name() -> str:
    """1 to 253 characters of ALPHABET."""
    return "".join(random.choices(ALPHABET, k=random.randrange(1, 254)))


def requested_name(query_string: bytes) -> str | None:
    """The ``name`` parameter of a raw query string, or None when there is none."""
    if b"%" in query_string and BAD_ESCAPE.search(query_string):
        raise InvalidQuery
    try:
        # Raw non-ASCII bytes must be UTF-8 as well; percent-escapes are decoded strictly
        # (the UTF-8 codec rejects overlong forms and encoded surrogates).
        pairs = parse_qsl(query_string.decode(), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as error:
        raise InvalidQuery from error
    names = [value for key, value in pairs if key == "name"]
    if not names:
        return None
    if len(names) > 1 or not 0 < len(names[0]) <= MAX_NAME or "\x00" in names[0]:
        raise InvalidName
    return names[0]
