"""The dependencies, as ``Annotated`` aliases (https://fastapi.tiangolo.com/tutorial/dependencies/).

``name`` is parsed from the raw query string: Starlette's parser replaces undecodable bytes and
keeps one of a repeated parameter, silently.
"""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Database

# The alphabet of random names, for requests that give none.
ALPHABET = "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+=-"
MAX_NAME = 255
# A "%" not followed by two hex digits, which parse_qsl would keep as a literal "%".
BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


class InvalidQuery(Exception):
    """The query string is not valid percent-encoded UTF-8."""


class InvalidName(Exception):
    """``name`` is repeated, empty, longer than 255 characters or contains NUL."""


def parse_name(query_string: bytes) -> str | None:
    """The ``name`` parameter, or None when there is none."""
    if BAD_ESCAPE.search(query_string):
        raise InvalidQuery
    try:
        # The strict UTF-8 codec also refuses overlong forms and encoded surrogates.
        pairs = parse_qsl(query_string.decode(), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as error:
        raise InvalidQuery from error
    names = [value for key, value in pairs if key == "name"]
    if not names:
        return None
    if len(names) > 1 or not 0 < len(names[0]) <= MAX_NAME or "\x00" in names[0]:
        raise InvalidName
    return names[0]


def random_name() -> str:
    return "".join(random.choices(ALPHABET, k=random.randrange(1, 254)))


async def requested_name(request: Request) -> str:
    """``name``; a random one when none is given."""
    return parse_name(request.scope["query_string"]) or random_name()


async def get_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    database: Database = request.state.database
    async with database.connect() as connection:
        yield connection


# Dependencies run in order: /demo parses the name before it takes a connection.
NameDep = Annotated[str, Depends(requested_name)]
# scope="function": the connection goes back to the pool when the path operation returns,
# before the response is serialised and sent.
ConnectionDep = Annotated[AsyncConnection, Depends(get_connection, scope="function")]
