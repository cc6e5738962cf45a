"""The pool gauge's source: Store.pool_usage, from redis-py's public connection counts."""

import asyncio
from pathlib import Path

import pytest

from kvapi.observability.metrics import Metrics
from kvapi.settings import Settings
from kvapi.store import Store


def test_pool_usage_counts_connections_in_use_and_idle(
    redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    async def usage() -> list[tuple[int, int]]:
        store = Store(Settings(redis_url=redis_url), Metrics(), redis_url)
        pool = store.redis.connection_pool
        seen = [store.pool_usage()]
        first, second = await pool.get_connection(), await pool.get_connection()
        seen.append(store.pool_usage())
        await pool.release(first)
        seen.append(store.pool_usage())
        await pool.release(second)
        await store.ping()  # a command takes a connection and gives it back
        seen.append(store.pool_usage())
        await store.close()
        return seen

    assert asyncio.run(usage()) == [(0, 0), (2, 0), (1, 1), (0, 2)]
