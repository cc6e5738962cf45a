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
from redis.asyncio import Redis, RedisCluster
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kvapi.clients import client_identity
from kvapi.observability.metrics import Metrics
from kvapi.settings import Settings
from kvapi.store import INTERNAL_PREFIX, STORE_ERRORS, error_kind

log = logging.getLogger("kvapi.ratelimit")

KEY_PREFIX = INTERNAL_PREFIX + "ratelimit"  # limits adds ":" and its own key layout
FAIL_OPEN_S = 1.0  # after a failure, skip Redis this long: an outage must not double latency
# A limiter call takes a millisecond; waiting the whole Redis timeout for it would double the
# latency of every request while Redis hangs (the store then waits its own timeout too).
LIMITER_TIMEOUT_CAP_S = 0.25
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REFUSED_BODY = orjson.dumps({"detail": "Rate limit exceeded"})


def route_class(scope: Scope) -> str | None:
    """The route class ("read" or "write") of a key-value route; None for the unlimited rest."""
    path: str = scope["path"]
    if (
        path == "/"
        or path.startswith("/write/")
        or path == "/v1/keys"
        or path.startswith("/v1/keys/")
    ):
        return "read" if scope["method"] in READ_METHODS else "write"
    return None


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


class RateLimitMiddleware:
    """429 with Retry-After and RateLimit headers once a client exceeds its route class's limit."""

    def __init__(
        self,
        app: ASGIApp,
        limiter: RateLimiter,
        limits: dict[str, Policy],
        metrics: Metrics,
        write_tokens: tuple[str, ...],
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.limits = limits
        self.metrics = metrics
        self.write_tokens = write_tokens
        self._skip_until = 0.0  # monotonic time until which the limiter fails open unasked
        self._failing = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cls = route_class(scope) if scope["type"] == "http" else None
        policy = self.limits.get(cls) if cls else None
        if cls is None or policy is None:
            await self.app(scope, receive, send)
            return
        identity = client_identity(scope, self.write_tokens)
        if not await self._admit(cls, policy, identity):
            self.metrics.rate_limited.labels(cls).inc()
            await self._refuse(policy, identity, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"ratelimit-policy", policy.header),
                ]
            await send(message)

        await self.app(scope, receive, send_with_policy)

    async def _admit(self, cls: str, policy: Policy, identity: str) -> bool:
        now = time.monotonic()
        if now < self._skip_until:
            self.metrics.rate_limit_fail_open.labels(cls).inc()
            return True
        if self._failing:  # one request probes Redis again; the others keep failing open
            self._skip_until = now + FAIL_OPEN_S
        try:
            allowed = await self.limiter.hit(policy, identity)
        except STORE_ERRORS as error:
            self._skip_until = time.monotonic() + FAIL_OPEN_S
            self.metrics.rate_limit_fail_open.labels(cls).inc()
            if not self._failing:
                self._failing = True
                log.warning(
                    "rate limiter unavailable: failing open",
                    extra={"fields": {"reason": error_kind(error), "retry_in_s": FAIL_OPEN_S}},
                )
            return True
        if self._failing:
            self._failing, self._skip_until = False, 0.0
            log.info("rate limiter recovered")
        return allowed

    async def _refuse(self, policy: Policy, identity: str, send: Send) -> None:
        retry = await self.limiter.retry_after(policy, identity)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(REFUSED_BODY)).encode()),
            (b"retry-after", str(retry).encode()),
            (b"ratelimit-policy", policy.header),
            (b"ratelimit", f'"{policy.name}";r=0;t={retry}'.encode()),
        ]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": REFUSED_BODY})
