"""Dependencies as ``Annotated`` aliases: a pooled connection and the requested name.

Both are ``async def``, so FastAPI calls them on the event loop, not in its thread pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import Database
from app.query import parse_name, random_name


async def get_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    database: Database = request.state.database
    async with database.connect() as connection:
        yield connection


async def requested_name(request: Request) -> str:
    """``name`` parsed strictly from the raw query string; a random one when none is given."""
    return parse_name(request.scope["query_string"]) or random_name()


# scope="function": the connection goes back to the pool when the path operation returns,
# before its response is serialised and sent.
ConnectionDep = Annotated[AsyncConnection, Depends(get_connection, scope="function")]
NameDep = Annotated[str, Depends(requested_name)]
