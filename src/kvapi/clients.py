"""Who is calling: the identity that active-client statistics (and rate limits) count."""

import asyncio
import functools
import hashlib
import logging
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from kvapi.auth import verified_token
from kvapi.store import Store, StoreUnavailable

log = logging.getLogger("kvapi.clients")

RECORD_EVERY_S = 60  # an identity is sent to Redis at most once a minute per worker


@functools.lru_cache(maxsize=64)  # only configured tokens get here: a handful
def token_identity(token: str) -> str:
    """A stable, non-reversible name for a token, safe to store and count."""
    return "token:" + hashlib.sha256(token.encode()).hexdigest()[:16]


IDENTITY_KEY = "kvapi.client_identity"  # kept in the scope: statistics and rate limits both ask


def client_identity(scope: Scope, write_tokens: tuple[str, ...]) -> str:
    """The token identity when the request carries a configured token, else the client IP."""
    identity: str | None = scope.get(IDENTITY_KEY)
    if identity is None:
        token = verified_token(scope, write_tokens)
        if token is not None:
            identity = token_identity(token)
        else:
            client = scope.get("client")
            identity = "ip:" + (client[0] if client else "unknown")
        scope[IDENTITY_KEY] = identity
    return identity


class ActiveClientsMiddleware:
    """Adds each caller to Redis HyperLogLogs, once a minute per worker, off the request path."""

    def __init__(self, app: ASGIApp, store: Store, write_tokens: tuple[str, ...]) -> None:
        self.app = app
        self.store = store
        self.write_tokens = write_tokens
        self._period = -1
        self._seen: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self._note(client_identity(scope, self.write_tokens))
        await self.app(scope, receive, send)

    def _note(self, identity: str) -> None:
        now = time.time()
        period = int(now // RECORD_EVERY_S)
        if period != self._period:
            self._period, self._seen = period, set()
        if identity in self._seen:
            return
        self._seen.add(identity)
        task = asyncio.create_task(self._record(identity, now))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _record(self, identity: str, now: float) -> None:
        try:
            await self.store.record_clients([identity], now)
        except StoreUnavailable as error:
            # Statistics are best effort; the failure is already counted in the Redis metrics.
            log.debug("active client not recorded", extra={"fields": {"reason": error.kind}})
