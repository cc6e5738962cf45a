"""Which Redis errors mean "this connection is stale", as redis-py's own parser raises them."""

import asyncio
import logging

import pytest
from redis._parsers.base import BaseParser
from redis.asyncio import BlockingConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from kvapi.observability.metrics import Metrics
from kvapi.stale import RESET_EVERY_S, StaleConnections, stale_reason


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("READONLY You can't write against a read only replica.", "readonly"),
        ("LOADING Redis is loading the dataset in memory", "loading"),
        (
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            "masterdown",
        ),
        ("TRYAGAIN Multiple keys request during rehashing of slot", "tryagain"),
        ("ERR max number of clients reached", "connection"),
        ("WRONGPASS invalid username-password pair or user is disabled.", None),
        ("NOAUTH Authentication required.", None),
        ("OOM command not allowed when used memory > 'maxmemory'.", None),
        ("ERR unknown command 'FOO'", None),
    ],
)
def test_error_replies(reply: str, reason: str | None) -> None:
    assert stale_reason(BaseParser.parse_error(reply)) == reason


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (RedisConnectionError("Connection closed by server."), "connection"),
        (ConnectionResetError(104, "Connection reset by peer"), "connection"),
        (RedisTimeoutError("Timeout reading from socket"), None),  # slow, not stale
        (TimeoutError(), None),
    ],
)
def test_connection_errors(error: BaseException, reason: str | None) -> None:
    assert stale_reason(error) == reason


def test_a_burst_resets_the_pool_once_and_resets_come_at_most_every_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [100.0]
    metrics = Metrics()
    pool = BlockingConnectionPool.from_url("redis://127.0.0.1:1/0")  # never dialled
    stale = StaleConnections(pool, metrics, clock=lambda: now[0])

    def resets(reason: str) -> float | None:
        assert metrics.registry is not None
        return metrics.registry.get_sample_value(
            "kvapi_redis_connection_resets_total", {"reason": reason}
        )

    async def failover() -> None:
        burst_started = now[0] - 0.01
        for _ in range(5):  # concurrent calls that all met the old node
            await stale.drop("readonly", burst_started)
        now[0] += RESET_EVERY_S / 2
        await stale.drop("readonly", now[0])  # started after the reset, but too soon
        now[0] += RESET_EVERY_S
        await stale.drop("loading", now[0])  # the name still led to the old node
        await stale.drop("connection", now[0])  # redis-py dropped it: counted, no reset

    caplog.set_level(logging.WARNING, logger="kvapi.store")
    asyncio.run(failover())
    assert (resets("readonly"), resets("loading"), resets("connection")) == (1, 1, 1)
    assert [r.getMessage() for r in caplog.records] == ["redis pool reset"] * 2
