"""Pure ASGI middleware: request ids, security headers, HTTP metrics and the access log in one pass.

One layer rather than four because all of them need the same route template, clock and
status, and each layer costs a call and a send wrapper per request; BaseHTTPMiddleware is
avoided because it costs a task and a queue per request.
"""

import random
import re
import time
from collections.abc import Sequence

from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kvapi.middleware.http import header
from kvapi.observability.access import access_log
from kvapi.observability.logging import request_id_var
from kvapi.observability.metrics import Metrics

UNMATCHED = "<unmatched>"
REQUEST_ID_HEADER = b"x-request-id"
SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:\-]{1,128}")

# Headers every response that passes through the service carries.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
]

Candidate = tuple[re.Pattern[str] | None, frozenset[str] | None, str]  # regex, methods, template


def route_path(scope: Scope) -> str:
    """The path routes are matched against: the ASGI `path` keeps the `root_path` a proxy
    mounts the app under, and starlette's routing strips it the same way."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        return path[len(root) :]
    return path


class RouteTemplates:
    """The route's path template (never the raw path, which would explode cardinality).

    Same answer as asking every route `matches(scope)` in order (the first full match, else the
    first path-only match, i.e. wrong method), without building a child scope per route: a
    path equal to a static route's path is a dict lookup, other paths try only the templated
    routes' regexes.
    """

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        plain = [route for route in routes if isinstance(route, Route)]
        templated = [route for route in plain if route.param_convertors]
        self._templated: list[Candidate] = [
            (route.path_regex, frozenset(route.methods or ()) or None, route.path)
            for route in templated
        ]
        # For a static path: every route whose regex matches it, in order, already matched.
        self._static: dict[str, list[Candidate]] = {
            route.path: [
                (None, frozenset(other.methods or ()) or None, other.path)
                for other in plain
                if other.path_regex.match(route.path)
            ]
            for route in plain
            if not route.param_convertors
        }

    def __call__(self, scope: Scope) -> str:
        path = route_path(scope)
        method = scope["method"]
        candidates = self._static.get(path, self._templated)
        partial = UNMATCHED
        for regex, methods, template in candidates:
            if regex is not None and not regex.match(path):
                continue
            if methods is None or method in methods:
                return template
            if partial == UNMATCHED:
                partial = template
        return partial


def incoming_request_id(scope: Scope) -> str:
    """The client's X-Request-ID when it is a sane one, else a new id."""
    sent = header(scope, REQUEST_ID_HEADER)
    if sent is not None and SANE_REQUEST_ID.fullmatch(sent):
        return sent.decode()
    return new_request_id()


def new_request_id() -> str:
    """128 random bits as 32 hex digits, like uuid4().hex but without a system call per request
    (uuid4 reads os.urandom). Ids must be unique, not secret, and `random` is reseeded in every
    forked worker."""
    # B311 (random is not for secrets): an id is not a secret.
    return f"{random.getrandbits(128):032x}"  # nosec B311


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
        self.route_template = RouteTemplates(routes)
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
        route = self.route_template(scope)
        status = 500  # what the client gets if the app fails before answering
        sent_bytes = 0
        added_headers = [(REQUEST_ID_HEADER, request_id.encode()), *SECURITY_HEADERS]

        async def send_with_headers(message: Message) -> None:
            nonlocal status, sent_bytes
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *added_headers]
            elif message["type"] == "http.response.body":
                sent_bytes += len(message.get("body", b""))
            await send(message)

        labels = (method, route)
        if self.record_metrics:
            self.metrics.in_progress.add(labels, 1)
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            duration = time.perf_counter() - started
            if self.record_metrics:
                self.metrics.in_progress.add(labels, -1)
                self.metrics.requests.inc((method, route, str(status)))
                self.metrics.durations.observe(labels, duration)
            if self.log_access and access_log.enabled():
                client = scope.get("client")
                user_agent = header(scope, b"user-agent")
                access_log.write(
                    request_id,
                    {
                        "method": method,
                        "route": route,
                        "path": scope["path"],  # never the query string: /write carries values
                        "status": status,
                        "duration_ms": round(duration * 1000, 3),
                        "client_ip": client[0] if client else None,
                        "user_agent": user_agent.decode("latin-1") if user_agent else None,
                        "bytes": sent_bytes,
                    },
                )
            request_id_var.reset(token)
