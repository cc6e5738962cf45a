"""The store's admission of Redis calls: at most a pool's worth at once, first come, first served.

No Redis is needed: the calls are stand-in operations that only wait, so what is checked is
the order and number in which Store._call lets them run.
"""

import asyncio
from pathlib import Path

import pytest

from kvapi.observability.metrics import Metrics
from kvapi.settings import Settings
from kvapi.store import Store

POOL_SIZE = 3
CALLS = 40


def test_calls_run_a_pool_at_a_time_in_arrival_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    url = "redis://127.0.0.1:1/0"  # never dialled
    store = Store(Settings(redis_url=url, redis_pool_size=POOL_SIZE), Metrics(), url)
    started: list[int] = []
    running = 0
    most_running = 0

    async def call(number: int) -> None:
        async def operation() -> None:
            nonlocal running, most_running
            started.append(number)
            running += 1
            most_running = max(most_running, running)
            await asyncio.sleep(0.002)
            running -= 1

        await store._call("get", operation)

    async def arrive_one_by_one() -> None:
        calls = []
        for number in range(CALLS):
            calls.append(asyncio.create_task(call(number)))
            await asyncio.sleep(0)  # newcomers keep arriving while earlier calls wait
        await asyncio.gather(*calls)

    asyncio.run(arrive_one_by_one())
    assert most_running == POOL_SIZE
    assert started == list(range(CALLS))
