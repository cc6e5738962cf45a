"""Per-client rate limits kept in Redis, so that they hold across workers and pods.

A sliding-window counter per (route class, client) from the `limits` library: one Lua call,
so one Redis round trip per admitted request. This is the Redis side and the policies; the
ASGI layer that asks it (and fails open when Redis fails) is kvapi.middleware.ratelimit.
See docs/adr/0070-rate-limiting.md.
"""

import asyncio
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import Redis, RedisCluster

from kvapi.observability.metrics import Metrics
from kvapi.settings import Settings
from kvapi.store import INTERNAL_PREFIX, STORE_ERRORS, error_kind

KEY_PREFIX = INTERNAL_PREFIX + "ratelimit"  # limits adds ":" and its own key layout
# A limiter call takes a millisecond; waiting the whole Redis timeout for it would double the
# latency of every request while Redis hangs (the store then waits its own timeout too).
LIMITER_TIMEOUT_CAP_S = 0.25


@dataclass(frozen=True, slots=True)
class Policy:
    """One limit and the RateLimit-Policy header that announces it (IETF httpapi draft)."""

    name: str
    item: RateLimitItem
    window_s: int
    header: bytes


def policy(name: str, limit: str) -> Policy:
    item = parse(limit)
    window_s = int(item.get_expiry())
    header = f'"{name}";q={item.amount};w={window_s}'.encode()
    return Policy(name=name, item=item, window_s=window_s, header=header)


def policies(settings: Settings) -> dict[str, Policy]:
    """The configured limits by route class; empty when rate limiting is off."""
    configured = {"read": settings.rate_limit_reads, "write": settings.rate_limit_writes}
    return {cls: policy(cls + "s", limit) for cls, limit in configured.items() if limit}


class SharedClientStorage(RedisStorage):
    """limits' Redis storage on the store's own client, a Redis or a RedisCluster: no second
    set of connections per worker. Its sliding window reads two keys in one script, and
    limits wraps their common part in braces, a hash tag that keeps both in one cluster slot:
    _kvapi:ratelimit:{LIMITER/<name>/<identity>/<amount>/<multiple>/<granularity>} and the
    same key with /-1 after it (docs/adr/0097-cluster-key-layout.md)."""

    def __init__(self, client: Redis | RedisCluster) -> None:
        self._client = client
        super().__init__("async+redis://", implementation="redispy", key_prefix=KEY_PREFIX)

    def configure_bridge(self) -> None:
        # Instead of use_basic/use_cluster, which build a client of their own (limits 5.8.0,
        # limits/aio/storage/redis/redispy.py: both set .storage and .connection_getter).
        bridge = self.bridge
        bridge.storage = self._client  # type: ignore[attr-defined]
        bridge.connection_getter = lambda _readonly: self._client  # type: ignore[attr-defined]


class RateLimiter:
    """The Redis side: hit a window, and say when a refused client may retry."""

    def __init__(self, client: Redis | RedisCluster, metrics: Metrics, timeout_s: float) -> None:
        storage = SharedClientStorage(client)
        self._strategy = SlidingWindowCounterRateLimiter(storage)
        self._metrics = metrics
        self._timeout = min(timeout_s, LIMITER_TIMEOUT_CAP_S)

    async def hit(self, policy: Policy, identity: str) -> bool:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout):
                return await self._strategy.hit(policy.item, policy.name, identity)
        except STORE_ERRORS as error:
            self._metrics.redis_errors.labels("ratelimit", error_kind(error)).inc()
            raise
        finally:
            self._metrics.redis_durations.observe(("ratelimit",), time.perf_counter() - started)

    async def retry_after(self, policy: Policy, identity: str) -> int:
        """Whole seconds until the window has room again; the window length if Redis fails."""
        try:
            async with asyncio.timeout(self._timeout):
                stats = await self._strategy.get_window_stats(policy.item, policy.name, identity)
        except STORE_ERRORS:
            return policy.window_s
        return max(1, min(policy.window_s, math.ceil(stats.reset_time - time.time())))
