"""CPU time of one request through kvapi's ASGI app in-process: no HTTP server, no client.

What an optimization of the app buys, without the noise of wrk, sockets and the scheduler:
`python -m bench.inprocess --redis-url redis://... --workload get_root`. Run it alternately
against two source trees (PYTHONPATH=<tree>/src) to compare a change with its absence.
"""

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import time
from typing import Any

import uvloop

from bench.run import seed
from bench.servers import MEMORY_TMP

CONCURRENCY = 50  # requests in flight: fewer than the pool's 64 connections, so none waits
TOKEN = "bench-change-me"  # noqa: S105 (a placeholder for a throwaway Redis)


def request_scope(workload: str, number: int) -> dict[str, Any]:
    get = workload == "get_root" or number % 10 < 3  # the write mix of bench/wrk/write_mix.lua
    path = "/" if get else f"/write/bench-{number}"
    headers = [(b"host", b"bench"), (b"user-agent", b"bench")]
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "http",
        "method": "GET" if get else "POST", "path": path, "raw_path": path.encode(),
        "query_string": b"" if get else f"value=v{number}".encode(), "root_path": "",
        "headers": headers + ([] if get else [(b"authorization", f"Bearer {TOKEN}".encode())]),
        "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip


async def measure(app: Any, workload: str, requests: int) -> float:
    async def one(number: int) -> None:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        statuses: list[int] = []
        bodies: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])
            elif message["type"] == "http.response.body":
                bodies.append(message.get("body", b""))

        await app(request_scope(workload, number), receive, send)
        if statuses != [200]:
            raise RuntimeError(f"request {number} answered {statuses} {bodies}")

    numbers = iter(range(10**6, 10**6 + 1000))  # warm-up: fills the pool and caches

    async def worker() -> None:  # CONCURRENCY of these, like connections of a load generator
        for number in numbers:
            await one(number)

    async def run_all() -> None:
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))

    await run_all()
    numbers = iter(range(requests))
    started = time.process_time()
    await run_all()
    return (time.process_time() - started) / requests * 1e6


async def main_async(args: argparse.Namespace) -> None:
    from kvapi.app import create_app
    from kvapi.settings import Settings

    app = create_app(Settings(redis_url=args.redis_url, write_tokens=(TOKEN,)))
    async with app.router.lifespan_context(app):
        cost = await measure(app, args.workload, args.requests)
    print(
        f"{args.workload}: {cost:.0f} CPU µs per request ({args.requests} requests)",
        file=sys.stderr,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--workload", choices=["get_root", "write_mix"], default="get_root")
    parser.add_argument("--requests", type=int, default=5000)
    args = parser.parse_args()
    os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="kvapi-metrics-", dir=MEMORY_TMP)
    )
    seed(args.redis_url)
    from kvapi.observability.logging import configure_logging

    configure_logging("INFO")
    with open(os.devnull, "w") as sink:  # access lines are formatted and written, then dropped
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(sink)
        with contextlib.redirect_stdout(sink):  # where the access log writes its batches
            uvloop.run(main_async(args))


if __name__ == "__main__":
    main()
