"""Reference point, NOT a template: the asyncio stack's floor, with no framework at all.

A bare ASGI callable on uvicorn (uvloop, httptools) with a driver's own pool: the same server
and the same statement and JSON as the FastAPI and Starlette services, none of their framework,
routing, validation or error handling. It answers ``/demo`` (the contract's statement with the
name bound as a parameter, the contract's JSON) and ``/idle``. It skips what a service must do
(strict query strings, timeouts, recovery, 4xx/5xx bodies), so it is the limit of the stack on
one core, not an example. ``FLOOR_DRIVER`` picks the driver: ``aiomysql`` (the services'
driver, pure Python on PyMySQL; ``floor-asyncio``) or ``asyncmy`` (its Cython fork;
``floor-asyncio-asyncmy``); their pool and cursor APIs are the same.

Run by ``python -m perf.bench`` in this folder's pinned environment (requirements.txt):
``uvicorn asgi_floor:app --loop uvloop --http httptools --no-access-log``, with uvicorn's other
settings as the services set them.
"""

from __future__ import annotations

import os
import random
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

LOOKUP = "SELECT id, name, create_time, update_time FROM demo_data WHERE name = %s ORDER BY id"
ALPHABET = "1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@#$%^&*()_+=-"
OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z | orjson.OPT_OMIT_MICROSECONDS
HEADERS = [(b"content-type", b"application/json")]
IDLE = orjson.dumps({"status": "idle"})
POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "10"))
DRIVER = os.environ.get("FLOOR_DRIVER", "aiomysql")


async def _open_pool() -> Any:
    if DRIVER == "aiomysql":
        import aiomysql as driver  # noqa: PLC0415  (only the floor that uses it imports it)
    elif DRIVER == "asyncmy":
        import asyncmy as driver  # noqa: PLC0415
    else:
        raise RuntimeError(f"FLOOR_DRIVER must be aiomysql or asyncmy, not {DRIVER!r}")
    url = urlsplit(os.environ["DATABASE_URL"])
    return await driver.create_pool(
        minsize=POOL_SIZE,
        maxsize=POOL_SIZE,
        host=url.hostname or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "",
        password=url.password or "",
        db=url.path.lstrip("/"),
        charset="utf8mb4",
        init_command="SET time_zone = '+00:00'",
        autocommit=True,
    )


async def _respond(send: Send, status: int, body: bytes) -> None:
    headers = [*HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lookup(pool: Any, name: str) -> bytes:
    async with pool.acquire() as connection, connection.cursor() as cursor:
        await cursor.execute(LOOKUP, (name,))
        rows = await cursor.fetchall()
    keys = ("id", "name", "create_time", "update_time")
    body: bytes = orjson.dumps([dict(zip(keys, row, strict=True)) for row in rows], option=OPTIONS)
    return body


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        # The pool lives in the lifespan state, which uvicorn hands to every request's scope.
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                scope["state"]["pool"] = await _open_pool()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                scope["state"]["pool"].close()
                await scope["state"]["pool"].wait_closed()
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path == "/idle":
        await _respond(send, 200, IDLE)
    elif path == "/demo":
        names = parse_qs(scope["query_string"].decode()).get("name")
        name = names[0] if names else "".join(random.choices(ALPHABET, k=random.randrange(1, 254)))
        await _respond(send, 200, await _lookup(scope["state"]["pool"], name))
    else:
        await _respond(send, 404, b'{"error":"not_found"}')
