"""A reference, not a variant of the targets: the smallest async FastAPI app with a pooled
client (the issue's "async FastAPI handler with a pooled client"). It shows what FastAPI alone
costs per request on the machine, i.e. the floor for any service built on it.
"""

import os

from fastapi import FastAPI
from redis.asyncio import BlockingConnectionPool, Redis

from bench.bare_app import POOL_SIZE

redis = Redis(
    connection_pool=BlockingConnectionPool.from_url(
        os.environ["BENCH_REDIS_URL"], max_connections=POOL_SIZE, decode_responses=True
    )
)
app = FastAPI()


@app.get("/")
async def read_root() -> dict[str, str | None]:
    return {"message": await redis.get("example_key")}


@app.post("/write/{key}")
async def write(key: str, value: str) -> dict[str, str]:
    await redis.set(key, value)
    return {"message": f"Key '{key}' set to '{value}'"}
