"""The application factory: create_app(settings) -> FastAPI. Nothing connects at import time."""

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Route

from kvapi import __version__
from kvapi.api import health, keys, legacy
from kvapi.api import metrics as metrics_route
from kvapi.api.errors import http_error, invalid_request, store_unavailable
from kvapi.api.schemas import BODY_ERRORS
from kvapi.middleware.active_clients import ActiveClientsMiddleware
from kvapi.middleware.bodylimit import BodyLimitMiddleware
from kvapi.middleware.legacy_fast import LegacyFastPath
from kvapi.middleware.ratelimit import RateLimitMiddleware
from kvapi.middleware.telemetry import TelemetryMiddleware
from kvapi.observability import access
from kvapi.observability.metrics import Metrics, flush_periodically
from kvapi.observability.tracing import setup_tracing, tracing_requested
from kvapi.ratelimit import RateLimiter, policies
from kvapi.settings import Settings
from kvapi.store import Store, StoreUnavailable

log = logging.getLogger("kvapi")

POOL_SAMPLE_EVERY_S = 5.0
ROUTERS = (legacy.router, keys.router, health.router, metrics_route.router)
CORS_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]
CORS_HEADERS = ["Authorization", "Content-Type", "X-Request-ID"]
CORS_EXPOSED = ["X-Request-ID", "Retry-After", "RateLimit", "RateLimit-Policy"]


def routes_of(app: FastAPI) -> list[BaseRoute]:
    """Every endpoint route, flat: FastAPI keeps included routers as nested, private objects."""
    own = [route for route in app.router.routes if isinstance(route, Route)]
    return [*own, *(route for router in ROUTERS for route in router.routes)]


async def sample_pool(store: Store, metrics: Metrics) -> None:
    while True:
        in_use, idle = store.pool_usage()
        metrics.redis_pool.labels("in_use").set(in_use)
        metrics.redis_pool.labels("idle").set(idle)
        await asyncio.sleep(POOL_SAMPLE_EVERY_S)


def create_app(settings: Settings) -> FastAPI:
    """The app for these settings: `kvapi serve` passes the master's, tests their own."""
    if settings.redis_url is None:
        raise ValueError("KVAPI_REDIS_URL is required (kvapi serve starts a local server if unset)")
    metrics = Metrics()
    store = Store(settings, metrics, settings.redis_url)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not settings.write_tokens:
            log.warning("KVAPI_WRITE_TOKENS is unset: anyone can write")
        tasks = [
            asyncio.create_task(sample_pool(store, metrics)),
            asyncio.create_task(flush_periodically(metrics)),
            asyncio.create_task(access.flush_periodically()),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await store.close()
            metrics.flush()
            access.access_log.flush()

    app = FastAPI(
        title="kvapi",
        version=__version__,
        summary="A key-value HTTP API on Redis",
        lifespan=lifespan,
        # FastAPI's own OpenTelemetry instrumentation stays off: the service's telemetry is
        # its own (observability/), and the check for a configured provider ran per request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.store = store
    app.state.build = {"version": __version__, "commit": os.environ.get("KVAPI_COMMIT", "unknown")}
    for router in ROUTERS:
        app.include_router(router, responses=BODY_ERRORS)  # the body limit applies to every route
    app.add_exception_handler(StoreUnavailable, store_unavailable)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(HTTPException, http_error)

    # Outermost last: telemetry (which also adds the security headers) sees every response.
    app.add_middleware(LegacyFastPath, store=store, settings=settings)
    app.add_middleware(ActiveClientsMiddleware, store=store, write_tokens=settings.write_tokens)
    limits = policies(settings)
    if limits:  # unset limits cost nothing: no layer, no Redis call
        limiter = RateLimiter(store.redis, metrics, settings.redis_timeout_s)
        app.add_middleware(
            RateLimitMiddleware,
            limiter=limiter,
            limits=limits,
            metrics=metrics,
            write_tokens=settings.write_tokens,
        )
    app.add_middleware(
        BodyLimitMiddleware, max_bytes=settings.body_limit, timeout_s=settings.body_timeout_s
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=CORS_METHODS,
            allow_headers=CORS_HEADERS,
            expose_headers=CORS_EXPOSED,
            allow_credentials=False,  # bearer tokens travel in a header, never in cookies
            max_age=600,
        )
    app.add_middleware(
        TelemetryMiddleware,
        routes=routes_of(app),
        metrics=metrics,
        record_metrics=settings.metrics_enabled,
        log_access=settings.access_log,
    )
    if tracing_requested():
        setup_tracing(app)
    return app
