"""The original assignment's design, reproduced as the benchmark's baseline (variant b).

Kept deliberately as it was: a synchronous Redis client called from sync endpoints (each
request hops to the thread pool), metrics middleware on BaseHTTPMiddleware labelled by the raw
path (one series per key), and an f-string text log line per request. Do not improve it: it is
the yardstick that docs/PERFORMANCE.md compares the service against.
"""

import logging
import os
import sys
import time

import redis
from fastapi import FastAPI
from prometheus_client import Counter, Histogram
from starlette.middleware.base import BaseHTTPMiddleware

logging.basicConfig(stream=sys.stdout, level=logging.INFO)
logger = logging.getLogger("app")

r = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"], decode_responses=True)

REQUESTS = Counter("http_requests_total", "requests", ["method", "path", "status"])
LATENCY = Histogram("http_request_duration_seconds", "latency", ["method", "path"])


class MetricsMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):  # type: ignore[no-untyped-def]
        start = time.time()
        response = await call_next(request)
        duration = time.time() - start
        REQUESTS.labels(request.method, request.url.path, response.status_code).inc()
        LATENCY.labels(request.method, request.url.path).observe(duration)
        logger.info(f"{request.method} {request.url.path} {response.status_code} {duration:.4f}s")
        return response


app = FastAPI()
app.add_middleware(MetricsMiddleware)


@app.get("/")
def read_root():  # type: ignore[no-untyped-def]
    return {"message": r.get("example_key")}


@app.post("/write/{key}")
def write(key: str, value: str):  # type: ignore[no-untyped-def]
    r.set(key, value)
    return {"message": f"Key '{key}' set to '{value}'"}
