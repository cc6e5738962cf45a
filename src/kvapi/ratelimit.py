"""Per-client rate limits kept in Redis, so that they hold across workers and pods.

A sliding-window counter per (route class, client) from the `limits` library: one Lua call,
so one Redis round trip per admitted request, and none at all when no limit is set (the
middleware is then not installed). Only the key-value routes are limited; probes, /metrics
and the docs never are. When Redis fails the limiter fails open for FAIL_OPEN_S: the API's
availability matters more than the limit, and the store answers 503 anyway if Redis is gone.
See docs/adr/0070-rate-limiting.md.
"""

import asyncio
import logging
import math
import time
from dataclasses import dataclass

import orjson
from limits import RateLimitItem, parse
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kvapi.clients import client_identity
from kvapi.observability.metrics import Metrics
from kvapi.settings import Settings
from kvapi.store import INTERNAL_PREFIX, error_kind

log = logging.getLogger("kvapi.ratelimit")

KEY_PREFIX = INTERNAL_PREFIX + "ratelimit"  # limits adds ":" and its own key layout
FAIL_OPEN_S = 1.0  # after a failure, skip Redis this long: an outage must not double latency
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REFUSED_BODY = orjson.dumps({"detail": "Rate limit exceeded"})


def route_class(scope: Scope) -> str | None:
    """"read" or "write" for the key-value routes, None for everything that is never limited."""
    path: str = scope["path"]
    if path == "/" or path.startswith("/write/") or path == "/v1/keys" or path.startswith(
        "/v1/keys/"
    ):
        return "read" if scope["method"] in READ_METHODS else "write"
    return None


@dataclass(frozen=True, slots=True)
class Policy:
    """One limit and the RateLimit-Policy header that announces it (IETF httpapi draft)."""

    name: str
    item: RateLimitItem

    @property
    def window_s(self) -> int:
        return int(self.item.get_expiry())

    @property
    def header(self) -> bytes:
        return f'"{self.name}";q={self.item.amount};w={self.window_s}'.encode()


def policies(settings: Settings) -> dict[str, Policy]:
    """The configured limits by route class; empty when rate limiting is off."""
    configured = {"read": settings.rate_limit_reads, "write": settings.rate_limit_writes}
    return {
        cls: Policy(name=cls + "s", item=parse(limit))
        for cls, limit in configured.items()
        if limit
    }


class RateLimiter:
    """The Redis side: hit a window, and say when a refused client may retry."""

    def __init__(self, pool: ConnectionPool, metrics: Metrics, timeout_s: float) -> None:
        # The store's pool: no second set of connections per worker.
        storage = RedisStorage(
            "async+redis://", implementation="redispy", key_prefix=KEY_PREFIX, connection_pool=pool
        )
        self._strategy = SlidingWindowCounterRateLimiter(storage)
        self._metrics = metrics
        self._timeout = timeout_s

    async def _timed(self, command: str, call: "asyncio.Future[object] | object") -> object:
        raise NotImplementedError

    async def hit(self, policy: Policy, identity: str) -> bool:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._timeout):
                return await self._strategy.hit(policy.item, policy.name, identity)
        except (RedisError, OSError, TimeoutError) as error:
            self._metrics.redis_errors.labels("ratelimit", error_kind(error)).inc()
            raise
        finally:
            self._metrics.redis_duration.labels("ratelimit").observe(
                time.perf_counter() - started
            )

    async def retry_after(self, policy: Policy, identity: str) -> int:
        """Whole seconds until the window has room again; the window length if Redis fails."""
        try:
            async with asyncio.timeout(self._timeout):
                stats = await self._strategy.get_window_stats(policy.item, policy.name, identity)
        except (RedisError, OSError, TimeoutError):
            return policy.window_s
        return max(1, min(policy.window_s, math.ceil(stats.reset_time - time.time())))
