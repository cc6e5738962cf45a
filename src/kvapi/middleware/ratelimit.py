"""The rate-limit layer: 429 once a client exceeds its route class's limit.

Only the key-value routes are limited; probes, /metrics and the docs never are, and no layer
is installed when no limit is set (no Redis call at all). When Redis fails the layer fails
open for FAIL_OPEN_S: the API's availability matters more than the limit, and the store
answers 503 anyway if Redis is gone. The Redis side is kvapi.ratelimit.
"""

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kvapi.clients import client_identity
from kvapi.middleware.http import refusal
from kvapi.observability.metrics import Metrics
from kvapi.ratelimit import Policy, RateLimiter
from kvapi.store import STORE_ERRORS, error_kind

log = logging.getLogger("kvapi.ratelimit")  # the logger name operators already filter on

FAIL_OPEN_S = 1.0  # after a failure, skip Redis this long: an outage must not double latency
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
            await self._refuse(policy, identity, scope, receive, send)
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

    async def _refuse(
        self, policy: Policy, identity: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        retry = await self.limiter.retry_after(policy, identity)
        headers = {
            "Retry-After": str(retry),
            "RateLimit-Policy": policy.header.decode(),
            "RateLimit": f'"{policy.name}";r=0;t={retry}',
        }
        await refusal(429, "Rate limit exceeded", headers)(scope, receive, send)
