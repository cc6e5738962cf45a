"""Tracing on: /metrics in OpenMetrics gives request duration buckets the trace of a recent
request (the one its access line names); the Prometheus text format and unsampled traces have
none."""

import contextlib
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from kvapi.app import create_app
from kvapi.observability.logging import JsonFormatter, no_trace
from kvapi.observability.tracing import setup_tracing
from kvapi.settings import Settings
from testbed.logs import JsonLines, access_lines

OPENMETRICS = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"


@contextlib.contextmanager
def traced(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    app = create_app(Settings(redis_url=redis_url))
    setup_tracing(app, InMemorySpanExporter())
    try:
        with TestClient(app) as client:
            yield client
    finally:
        JsonFormatter.trace_ids = staticmethod(no_trace)
        RedisInstrumentor().uninstrument()  # global: the next test's provider must get the spans


@pytest.fixture
def traced_client(
    redis_url: str, redis_client: object, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    with traced(redis_url, monkeypatch) as client:
        yield client


def duration_buckets(text: str) -> list[Sample]:
    (family,) = [
        family
        for family in text_string_to_metric_families(text)
        if family.name == "http_request_duration_seconds"
    ]
    return [sample for sample in family.samples if sample.name.endswith("_bucket")]


def test_buckets_carry_the_trace_of_the_request(
    traced_client: TestClient, captured: JsonLines
) -> None:
    traced_client.get("/v1/keys/absent")
    (line,) = access_lines(captured)
    response = traced_client.get("/metrics", headers={"Accept": OPENMETRICS})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    exemplars = [
        (sample.labels, sample.exemplar)
        for sample in duration_buckets(response.text)
        if sample.exemplar is not None and sample.labels["route"] == "/v1/keys/{key}"
    ]
    ((labels, exemplar),) = exemplars  # one request: one bucket holds it
    assert exemplar.labels == {"trace_id": line["trace_id"]}
    assert exemplar.value == pytest.approx(line["duration_ms"] / 1000, abs=1e-3)
    upper = float(labels["le"])
    assert exemplar.value <= upper  # the bucket that counted it, as Histogram.observe would


def test_the_latest_request_of_a_bucket_wins(
    traced_client: TestClient, captured: JsonLines
) -> None:
    for _ in range(3):
        traced_client.get("/")
    last = access_lines(captured)[-1]
    text = traced_client.get("/metrics", headers={"Accept": OPENMETRICS}).text
    exemplars = [
        sample.exemplar.labels["trace_id"]
        for sample in duration_buckets(text)
        if sample.exemplar is not None and sample.labels["route"] == "/"
    ]
    assert last["trace_id"] in exemplars
    assert len(exemplars) <= 3


def test_the_prometheus_text_format_has_no_exemplars(traced_client: TestClient) -> None:
    traced_client.get("/")
    response = traced_client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    assert "http_request_duration_seconds_bucket" in response.text
    assert "trace_id" not in response.text


def test_unsampled_requests_log_a_trace_id_but_leave_no_exemplar(
    redis_url: str, redis_client: object, monkeypatch: pytest.MonkeyPatch, captured: JsonLines
) -> None:
    # The sampler comes from the standard variable, as in production (ratio 0 here).
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "traceidratio")
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0")
    with traced(redis_url, monkeypatch) as client:
        client.get("/")
        text = client.get("/metrics", headers={"Accept": OPENMETRICS}).text
    assert access_lines(captured)[0]["trace_id"] is not None
    assert [sample for sample in duration_buckets(text) if sample.exemplar is not None] == []


def test_probes_and_scrapes_are_not_traced(traced_client: TestClient, captured: JsonLines) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/v1/keys/metrics"):
        traced_client.get(path)
    traced = {line["path"]: line["trace_id"] is not None for line in access_lines(captured)}
    assert traced == {
        "/healthz": False,
        "/readyz": False,
        "/metrics": False,
        "/v1/keys/metrics": True,  # a key named metrics is a request like any other
    }
