"""Prometheus metrics, correct across gunicorn workers.

Under `kvapi serve`, PROMETHEUS_MULTIPROC_DIR is set before any worker starts, so every metric
writes to per-process files that /metrics aggregates. Without it (tests, a single process) the
metrics live in the registry owned by the app. Values that come from Redis or never change
(active clients, build info) are produced at scrape time and are not kept in files. With
tracing on, the request duration buckets carry exemplars (exemplars.py), which the OpenMetrics
exposition shows when the scraper asks for it.
"""

import asyncio
import os
from collections.abc import Iterable, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from kvapi.observability.exemplars import WithExemplars, WorkerExemplars, forget_worker
from kvapi.observability.pending import (
    PendingCounter,
    PendingGauge,
    PendingHistogram,
    TraceId,
)

# 1 ms .. 10 s; 0.5 s is the latency SLO's threshold and must be a bucket bound.
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REDIS_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1.0, 5.0)
ROUTE_CLASSES = ("read", "write")
STALE_REASONS = ("readonly", "loading", "masterdown", "tryagain", "connection")

HTTP_LABELS = ("method", "route")
FLUSH_EVERY_S = 1.0


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    """Every metric the service records; one instance per app."""

    def __init__(self) -> None:
        self.multiprocess = multiprocess_dir() is not None
        # In multiprocess mode the files are the registry; /metrics builds a fresh one per scrape.
        self.registry: CollectorRegistry | None = None if self.multiprocess else CollectorRegistry()
        registry = self.registry
        self.http_requests = Counter(
            "http_requests_total",
            "HTTP requests by method, route template and status code",
            ["method", "route", "status"],
            registry=registry,
        )
        self.http_duration = Histogram(
            "http_request_duration_seconds",
            "HTTP request duration by method and route template",
            HTTP_LABELS,
            buckets=HTTP_BUCKETS,
            registry=registry,
        )
        self.http_in_progress = Gauge(
            "http_requests_in_progress",
            "HTTP requests being served",
            HTTP_LABELS,
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.redis_duration = Histogram(
            "kvapi_redis_command_duration_seconds",
            "Duration of Redis calls made by the service, by command",
            ["command"],
            buckets=REDIS_BUCKETS,
            registry=registry,
        )
        self.redis_errors = Counter(
            "kvapi_redis_errors_total",
            "Failed Redis calls by command and error kind",
            ["command", "kind"],
            registry=registry,
        )
        self.redis_pool = Gauge(
            "kvapi_redis_pool_connections",
            "Redis pool connections by state (in_use, idle), summed over live workers",
            ["state"],
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.redis_connection_resets = Counter(
            "kvapi_redis_connection_resets_total",
            "Redis connections dropped as stale (failover) by reason; replies reset the whole pool",
            ["reason"],
            registry=registry,
        )
        for reason in STALE_REASONS:
            self.redis_connection_resets.labels(reason)  # export 0 before the first reset
        self.kv_operations = Counter(
            "kvapi_kv_operations_total",
            "Key-value operations by operation and result",
            ["operation", "result"],
            registry=registry,
        )
        self.kv_written_bytes = Counter(
            "kvapi_kv_written_bytes_total",
            "Bytes of values written",
            registry=registry,
        )
        self.rate_limited = Counter(
            "kvapi_rate_limited_total",
            "Requests refused by rate limiting, by route class",
            ["route_class"],
            registry=registry,
        )
        self.rate_limit_fail_open = Counter(
            "kvapi_rate_limit_fail_open_total",
            "Requests admitted unchecked because the rate limiter could not reach Redis",
            ["route_class"],
            registry=registry,
        )
        for route_class in ROUTE_CLASSES:
            self.rate_limited.labels(route_class)  # export 0 before the first refusal
            self.rate_limit_fail_open.labels(route_class)
        # The per-request updates, batched (pending.py says why); rare ones stay direct.
        self.requests = PendingCounter(self.http_requests)
        self.durations = PendingHistogram(self.http_duration, HTTP_BUCKETS)
        self.in_progress = PendingGauge(self.http_in_progress)
        self.redis_durations = PendingHistogram(self.redis_duration, REDIS_BUCKETS)
        self.operations = PendingCounter(self.kv_operations)
        self.written_bytes = PendingCounter(self.kv_written_bytes)
        self._pending = (
            self.requests,
            self.durations,
            self.in_progress,
            self.redis_durations,
            self.operations,
            self.written_bytes,
        )

        self.exemplars = WorkerExemplars(multiprocess_dir())

    def enable_exemplars(self, trace_id: TraceId) -> None:
        """Request duration buckets keep the trace id `trace_id()` names (tracing on)."""
        self.durations.enable_exemplars(
            trace_id, self.exemplars, "http_request_duration_seconds", HTTP_LABELS
        )

    def flush(self) -> None:
        """Move this worker's pending updates into the metrics (the multiprocess files)."""
        for pending in self._pending:
            pending.flush()
        self.exemplars.flush()

    def render(self, extra: Iterable[Collector], accept: str = "") -> tuple[bytes, str]:
        """All workers' metrics plus the scrape-time collectors, in the format `accept` asks
        for (the Accept header): OpenMetrics, with exemplars, or the Prometheus text format."""
        self.flush()  # this worker's values exact; other workers' at most FLUSH_EVERY_S old
        registry = self.registry
        if registry is None:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        for collector in extra:
            registry.register(collector)
        encode, content_type = choose_encoder(accept)
        try:
            return encode(WithExemplars(registry, self.exemplars.merged())), content_type
        finally:
            for collector in extra:
                registry.unregister(collector)


class ScrapeTimeGauges(Collector):
    """Gauges whose values are known only at scrape time (read from Redis, or constant)."""

    def __init__(
        self,
        build: dict[str, str],
        active_clients: dict[str, int] | None,
    ) -> None:
        self._build = build
        self._active_clients = active_clients

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "kvapi_build_info",
            "Version and commit of the running build",
            labels=["version", "commit"],
        )
        info.add_metric([self._build["version"], self._build["commit"]], 1)
        yield info
        if self._active_clients is not None:
            clients = GaugeMetricFamily(
                "kvapi_active_clients",
                "Distinct clients seen in the window (HyperLogLog estimate)",
                labels=["window"],
            )
            for window, count in self._active_clients.items():
                clients.add_metric([window], count)
            yield clients


async def flush_periodically(metrics: Metrics) -> None:
    while True:
        await asyncio.sleep(FLUSH_EVERY_S)
        metrics.flush()


def mark_worker_dead(pid: int) -> None:
    """Drop a dead worker's live gauges (gunicorn child_exit hook)."""
    directory = multiprocess_dir()
    if directory is not None:
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
        forget_worker(directory, pid)
