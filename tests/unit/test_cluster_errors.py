"""Every error redis-py's cluster client raises for an unavailable cluster becomes the 503 path.

Store._call turns STORE_ERRORS into StoreUnavailable (a 503 with Retry-After); anything else
would escape as a 500. The real failures (a killed primary, a whole shard down) are in
tests/resilience/test_cluster_failover.py; these pin the types redis-py can raise there.
"""

import asyncio

import pytest
from redis.exceptions import (
    AskError,
    ClusterDownError,
    ClusterError,
    MasterDownError,
    MaxConnectionsError,
    MovedError,
    RedisClusterException,
    SlotNotCoveredError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from kvapi.observability.metrics import Metrics
from kvapi.settings import Settings
from kvapi.store import Store, StoreUnavailable

CLUSTER_FAILURES = [
    ClusterDownError("CLUSTERDOWN The cluster is down"),
    MasterDownError("MASTERDOWN Link with MASTER is down"),
    TryAgainError("TRYAGAIN"),
    MovedError("3999 127.0.0.1:6381"),
    AskError("3999 127.0.0.1:6381"),
    ClusterError("TTL exhausted."),
    SlotNotCoveredError('Slot "3999" not covered by the cluster.'),
    RedisClusterException("Redis Cluster cannot be connected."),
    MaxConnectionsError("Too many connections"),
    RedisConnectionError("Error 111 connecting to 127.0.0.1:6381."),
    RedisTimeoutError("Timeout reading from 127.0.0.1:6381"),
]


@pytest.mark.parametrize("error", CLUSTER_FAILURES, ids=lambda e: type(e).__name__)
def test_cluster_failures_are_store_unavailable(error: Exception) -> None:
    settings = Settings(redis_url="redis://127.0.0.1:1", redis_cluster=True)
    store = Store(settings, Metrics(), "redis://127.0.0.1:1")

    async def failing() -> None:
        raise error

    async def call() -> None:
        await store._call("get", failing)

    with pytest.raises(StoreUnavailable):
        asyncio.run(call())


def call_failing_with(store: Store, error: Exception) -> None:
    async def failing() -> None:
        raise error

    asyncio.run(store._call("get", failing))


def test_an_unexpected_error_of_the_cluster_client_is_a_503_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(redis_url="redis://127.0.0.1:1", redis_cluster=True)
    store = Store(settings, Metrics(), "redis://127.0.0.1:1")
    with caplog.at_level("WARNING", logger="kvapi.store"), pytest.raises(StoreUnavailable):
        call_failing_with(store, IndexError("pop from an empty deque"))
    assert "unexpected error from the Redis Cluster client" in caplog.text


def test_an_unexpected_error_with_a_single_node_stays_a_bug() -> None:
    settings = Settings(redis_url="redis://127.0.0.1:1")
    store = Store(settings, Metrics(), "redis://127.0.0.1:1")
    with pytest.raises(IndexError):
        call_failing_with(store, IndexError("a bug of kvapi's"))
