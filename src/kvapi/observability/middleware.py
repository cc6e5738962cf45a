"""Pure ASGI middleware: request ids, HTTP metrics and the access log in one pass.

One layer rather than three because all of them need the same route template, clock and
status; BaseHTTPMiddleware is avoided because it costs a task and a queue per request.
"""

import logging
import re
import time
import uuid
from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kvapi.observability.logging import request_id_var
from kvapi.observability.metrics import Metrics

UNMATCHED = "<unmatched>"
REQUEST_ID_HEADER = b"x-request-id"
SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")

access_log = logging.getLogger("kvapi.access")


def route_template(routes: Sequence[BaseRoute], scope: Scope) -> str:
    """The route's path template (never the raw path, which would explode cardinality)."""
    partial = UNMATCHED
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(getattr(route, "path", UNMATCHED))
        if match is Match.PARTIAL and partial == UNMATCHED:
            partial = str(getattr(route, "path", UNMATCHED))
    return partial


def incoming_request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and SANE_REQUEST_ID.fullmatch(value):
            return str(value.decode())
    return uuid.uuid4().hex


def header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return str(value.decode("latin-1"))
    return None


class TelemetryMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        routes: Sequence[BaseRoute],
        metrics: Metrics,
        record_metrics: bool = True,
        log_access: bool = True,
    ) -> None:
        self.app = app
        self.routes = routes
        self.metrics = metrics
        self.record_metrics = record_metrics
        self.log_access = log_access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = incoming_request_id(scope)
        token = request_id_var.set(request_id)
        method = scope["method"]
        route = route_template(self.routes, scope)
        status = 500  # what the client gets if the app fails before answering
        sent_bytes = 0
        request_id_bytes = request_id.encode()

        async def send_with_id(message: Message) -> None:
            nonlocal status, sent_bytes
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", ()),
                    (REQUEST_ID_HEADER, request_id_bytes),
                ]
            elif message["type"] == "http.response.body":
                sent_bytes += len(message.get("body", b""))
            await send(message)

        in_progress = (
            self.metrics.http_in_progress.labels(method, route) if self.record_metrics else None
        )
        if in_progress is not None:
            in_progress.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started
            if in_progress is not None:
                in_progress.dec()
                self.metrics.http_requests.labels(method, route, str(status)).inc()
                self.metrics.http_duration.labels(method, route).observe(duration)
            if self.log_access:
                self._log(scope, method, route, status, duration, sent_bytes)
            request_id_var.reset(token)

    @staticmethod
    def _log(
        scope: Scope, method: str, route: str, status: int, duration: float, size: int
    ) -> None:
        client = scope.get("client")
        access_log.info(
            "request",
            extra={
                "fields": {
                    "method": method,
                    "route": route,
                    "path": scope["path"],  # never the query string: /write carries the value there
                    "status": status,
                    "duration_ms": round(duration * 1000, 3),
                    "client_ip": client[0] if client else None,
                    "user_agent": header(scope, b"user-agent"),
                    "bytes": size,
                }
            },
        )


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeadersMiddleware:
    """Headers every response carries, whatever produced it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)
