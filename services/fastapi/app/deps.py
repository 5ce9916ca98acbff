"""Dependencies: the worker's pool and the requested name, as ``Annotated`` aliases.

As fastapi/full-stack-fastapi-template's ``api/deps.py``; both are ``async def``, so FastAPI
calls them on the event loop rather than in its thread pool
(https://fastapi.tiangolo.com/tutorial/dependencies/, "async or not async").
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from app.db import Pool
from app.query import parse_name, random_name


async def get_pool(request: Request) -> Pool:
    """The worker's pool, from the lifespan state (app.main.lifespan)."""
    return cast(Pool, request.state.pool)


async def requested_name(request: Request) -> str:
    """``name`` from the raw query string, parsed strictly; a blog name when none is given.

    Not a ``Query()`` parameter: Starlette's parser replaces undecodable bytes silently, and
    a repeated ``name`` would be taken once (README.md, "Dependencies").
    """
    return parse_name(request.scope["query_string"]) or random_name()


PoolDep = Annotated[Pool, Depends(get_pool)]
NameDep = Annotated[str, Depends(requested_name)]
