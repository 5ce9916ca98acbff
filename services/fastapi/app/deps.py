"""The dependencies, as ``Annotated`` aliases (https://fastapi.tiangolo.com/tutorial/dependencies/)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Database
from app.query import parse_name, random_name


async def requested_name(request: Request) -> str:
    """``name`` from the raw query string; a random one when none is given."""
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
