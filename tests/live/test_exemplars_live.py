"""Exemplars across gunicorn workers, proven with Debian's Prometheus.

kvapi runs with 2 workers and tracing on, exporting to a stand-in OTLP receiver; Prometheus
(--enable-feature=exemplar-storage) scrapes it with the committed kvapi job, which asks for
OpenMetrics. Requests go out in concurrent rounds until Prometheus holds exemplars from both
workers (each access log line names its worker's pid), never relying on how the kernel spreads
connections: the rounds simply continue, within a bound, until both have been seen. Every
exemplar's trace id must be that of a request in kvapi's access log (same route, same
duration) and of spans the receiver got.
"""

import concurrent.futures
import contextlib
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from testbed.net import wait_until
from testbed.otlp import OtlpSink, otlp_sink
from testbed.processes import KvapiProcess, http_ok, kvapi_server
from testbed.redis import redis_server
from testbed.tools import require_binary
from tests.deploy.monitoring_support import dashboards_package
from tests.live.monitoring_stack import (
    GRAFANA_VARIABLES,
    PrometheusAPI,
    free_address,
    prometheus_args,
    render_scrape_config,
    running,
)

pytestmark = pytest.mark.live

SELECTOR = 'http_request_duration_seconds_bucket{job="kvapi"}'
CONCURRENCY = 16
ROUTES = ("/v1/keys/k{}", "/", "/health", "/v1/keys")


@dataclass
class Stack:
    kvapi: KvapiProcess
    prometheus: PrometheusAPI
    sink: OtlpSink
    start: float


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    prometheus = require_binary("prometheus", "apt install prometheus")
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kvapi-exemplars-")))
        redis = stack.enter_context(redis_server())
        sink = stack.enter_context(otlp_sink())
        kvapi = stack.enter_context(
            kvapi_server(
                redis.url,
                workers=2,
                env={
                    "OTEL_EXPORTER_OTLP_ENDPOINT": sink.endpoint,
                    "OTEL_TRACES_SAMPLER": "parentbased_always_on",
                    "OTEL_BSP_SCHEDULE_DELAY": "200",  # ms: spans reach the sink promptly
                },
            )
        )
        address = free_address()
        config = render_scrape_config(
            tmp / "prometheus", "kvapi", [{"targets": [f"127.0.0.1:{kvapi.port}"]}]
        )
        stack.enter_context(
            running(
                "prometheus",
                [
                    *prometheus_args(prometheus, config, tmp / "data", address),
                    "--enable-feature=exemplar-storage",
                ],
                tmp,
                http_ok(f"http://{address}/-/ready"),
            )
        )
        yield Stack(kvapi, PrometheusAPI(f"http://{address}"), sink, time.time())


def exemplars(stack: Stack) -> list[dict[str, Any]]:
    """Every exemplar Prometheus holds for kvapi's latency buckets, with its series' labels."""
    found: list[dict[str, Any]] = stack.prometheus.get(
        "/api/v1/query_exemplars", query=SELECTOR, start=stack.start - 60, end=time.time() + 60
    )
    return [
        {**exemplar, "series": series["seriesLabels"]}
        for series in found
        for exemplar in series["exemplars"]
    ]


def access_lines_by_trace(kvapi: KvapiProcess) -> dict[str, dict[str, Any]]:
    return {
        str(record["trace_id"]): record
        for record in kvapi.log_records()
        if record.get("logger") == "kvapi.access" and record.get("trace_id")
    }


def send_round(base_url: str, round_number: int) -> None:
    """CONCURRENCY requests at once, each on its own connection."""

    def call(index: int) -> None:
        path = ROUTES[index % len(ROUTES)].format(index)
        with httpx.Client(base_url=base_url, timeout=5) as client:
            client.get(path)

    with concurrent.futures.ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(call, range(round_number * CONCURRENCY, (round_number + 1) * CONCURRENCY)))


def worker_pids(stack: Stack, found: list[dict[str, Any]]) -> set[int]:
    """The pids of the workers whose access lines name the exemplars' trace ids."""
    lines = access_lines_by_trace(stack.kvapi)
    return {
        int(lines[exemplar["labels"]["trace_id"]]["pid"])
        for exemplar in found
        if exemplar["labels"]["trace_id"] in lines
    }


@pytest.fixture(scope="module")
def seen(stack: Stack) -> list[dict[str, Any]]:
    rounds = 0

    def both_workers() -> bool:
        nonlocal rounds
        send_round(stack.kvapi.base_url, rounds)
        rounds += 1
        return len(worker_pids(stack, exemplars(stack))) == 2

    wait_until(both_workers, 90, "exemplars from both workers in Prometheus", every=1.5)
    print(f"{rounds} rounds of {CONCURRENCY} concurrent requests")
    return exemplars(stack)


def test_prometheus_scraped_openmetrics_and_stored_exemplars(stack: Stack, seen: list) -> None:
    (target,) = stack.prometheus.get("/api/v1/targets")["activeTargets"]
    assert target["health"] == "up", target["lastError"]
    assert seen and all(set(exemplar["labels"]) == {"trace_id"} for exemplar in seen)


def test_exemplars_come_from_both_workers(stack: Stack, seen: list) -> None:
    pids = worker_pids(stack, seen)
    print(f"exemplars: {len(seen)}, from worker pids {sorted(pids)}")
    assert len(pids) == 2


def test_every_exemplar_is_a_logged_request_of_its_series(stack: Stack, seen: list) -> None:
    wait_until(
        lambda: all(e["labels"]["trace_id"] in access_lines_by_trace(stack.kvapi) for e in seen),
        10,
        "the access lines of every exemplar (flushed every 0.1 s)",
    )
    lines = access_lines_by_trace(stack.kvapi)
    for exemplar in seen:
        line = lines[exemplar["labels"]["trace_id"]]
        series = exemplar["series"]
        assert (line["route"], line["method"]) == (series["route"], series["method"])
        assert float(exemplar["value"]) == pytest.approx(line["duration_ms"] / 1000, abs=2e-3)
        assert float(exemplar["value"]) <= float(series["le"])


def test_every_exemplar_trace_reached_the_trace_backend(stack: Stack, seen: list) -> None:
    wanted = {exemplar["labels"]["trace_id"] for exemplar in seen}
    wait_until(lambda: wanted <= stack.sink.received(), 15, "the exemplars' spans at the sink")


def test_the_dashboard_panels_that_show_exemplars_get_them(stack: Stack, seen: list) -> None:
    """Grafana asks query_exemplars with the panel's own expression: so does this test."""
    queries = [
        query
        for board in dashboards_package().DASHBOARDS
        for panel in board.panels
        for query in panel.queries
        if query.exemplars
    ]
    assert len(queries) == 2  # p95 per route, p95 by revision (kvapi / Application performance)
    for query in queries:
        expr = query.expr
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        found = stack.prometheus.get(
            "/api/v1/query_exemplars", query=expr, start=stack.start - 60, end=time.time() + 60
        )
        trace_ids = {e["labels"]["trace_id"] for series in found for e in series["exemplars"]}
        assert trace_ids & {e["labels"]["trace_id"] for e in seen}, query.expr
