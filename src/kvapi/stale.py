"""Telling a failover from an outage: which Redis errors mean "this connection is stale".

On a failover the endpoint's DNS name moves to the promoted replica, but connections opened
before stay on the old node, which comes back as a replica (READONLY to writes), reloads its
data (LOADING), cannot reach its primary (MASTERDOWN) or is reset. Such a reply is about the
node behind the connection, not about the request, so the store drops the pool and reconnects
through DNS (docs/adr/0090-stale-connections-after-failover.md). The classes are the ones
redis-py 8.1 maps these replies to (redis/_parsers/base.py, EXCEPTION_CLASSES).
"""

import asyncio
import logging
import time
from collections.abc import Callable

from redis.asyncio import ConnectionPool
from redis.exceptions import (
    AuthenticationError,
    AuthorizationError,
    BusyLoadingError,
    MasterDownError,
    ReadOnlyError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError

from kvapi.observability.metrics import Metrics

log = logging.getLogger("kvapi.store")

# Replies by which the node says it cannot serve: every pooled connection leads to that node.
# BusyLoadingError is a ConnectionError in redis-py, so it must be matched before "connection".
STALE_REPLIES: tuple[tuple[type[Exception], str], ...] = (
    (ReadOnlyError, "readonly"),
    (BusyLoadingError, "loading"),
    (MasterDownError, "masterdown"),
    (TryAgainError, "tryagain"),
)
# A stale reply in a burst of concurrent calls resets the pool once, and while the DNS name
# still leads to the old node the resets (and their log lines) come at most this often.
RESET_EVERY_S = 0.5


def stale_reason(error: BaseException) -> str | None:
    """The reason a connection is stale ("readonly", ..., "connection"), or None if it is not."""
    for error_class, reason in STALE_REPLIES:
        if isinstance(error, error_class):
            return reason
    if isinstance(error, AuthenticationError | AuthorizationError):
        return None  # a wrong password stays wrong on a new connection
    if isinstance(error, RedisConnectionError | ConnectionResetError):
        return "connection"
    return None


class StaleConnections:
    """Drops what a stale-connection error condemns, counts it, and logs each pool reset."""

    def __init__(
        self,
        pool: ConnectionPool,
        metrics: Metrics,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._pool = pool
        self._metrics = metrics
        self._clock = clock
        self._last_reset = -float("inf")  # clock() of the last pool reset

    async def drop(self, reason: str, call_started: float) -> None:
        """Act on a stale-connection error of a call that started at call_started (clock())."""
        if reason == "connection":
            # redis-py has already closed that connection: its retry's failure handler
            # disconnects it (redis/asyncio/client.py, execute_command), and the next command
            # on it connects again through DNS. The others may well be healthy.
            self._metrics.redis_connection_resets.labels(reason).inc()
            return
        now = self._clock()
        if call_started < self._last_reset or now - self._last_reset < RESET_EVERY_S:
            return  # its connection was dropped by a reset since, or one just happened
        self._last_reset = now
        self._metrics.redis_connection_resets.labels(reason).inc()
        log.warning("redis pool reset", extra={"fields": {"reason": reason}})
        # Shielded: the caller's time bound may run out meanwhile, the reset must not stop halfway.
        await asyncio.shield(self._reset_pool())

    async def _reset_pool(self) -> None:
        # Idle connections are closed now; those in use by other calls are closed when they
        # come back to the pool, so no call in flight is cut off.
        await self._pool.update_active_connections_for_reconnect()  # type: ignore[no-untyped-call]
        await self._pool.disconnect(inuse_connections=False)
