"""The active-clients layer: counts who calls, for the kvapi_active_clients statistics."""

import asyncio
import logging
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from kvapi.clients import client_identity
from kvapi.store import Store, StoreUnavailable

log = logging.getLogger("kvapi.clients")

RECORD_EVERY_S = 60  # an identity is sent to Redis at most once a minute per worker


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
