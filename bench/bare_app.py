"""The ceiling (variant c): a bare ASGI callable doing the same Redis calls, no framework.

Same client as the service (redis.asyncio, a pool of the same size, no socket timeout),
orjson bodies, and nothing else: no routing table, validation, middleware, metrics or logs.
What the service reaches of this ceiling is what its features and framework cost.
"""

import os
from typing import Any
from urllib.parse import parse_qs

import orjson
from redis.asyncio import BlockingConnectionPool, Redis

POOL_SIZE = 64  # the service's default KVAPI_REDIS_POOL_SIZE
WRITE_PREFIX = "/write/"
JSON_HEADERS = [(b"content-type", b"application/json")]

# The service's client settings that bear on per-command cost: no socket timeout (redis-py's
# default of 5 s costs a timer and, on writes, a task per command; the service bounds each
# call as a whole instead) and no periodic health check.
redis = Redis(
    connection_pool=BlockingConnectionPool.from_url(
        os.environ["BENCH_REDIS_URL"],
        max_connections=POOL_SIZE,
        socket_timeout=None,
        decode_responses=True,
    )
)


async def respond(send: Any, status: int, body: object) -> None:
    await send({"type": "http.response.start", "status": status, "headers": JSON_HEADERS})
    await send({"type": "http.response.body", "body": orjson.dumps(body)})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    method, path = scope["method"], scope["path"]
    if method == "GET" and path == "/":
        await respond(send, 200, {"message": await redis.get("example_key")})
    elif method == "POST" and path.startswith(WRITE_PREFIX):
        key = path[len(WRITE_PREFIX) :]
        value = parse_qs(scope["query_string"].decode()).get("value", [""])[0]
        await redis.set(key, value)
        await respond(send, 200, {"message": f"Key '{key}' set to '{value}'"})
    else:
        await respond(send, 404, {"detail": "Not Found"})
