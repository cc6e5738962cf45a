"""Tracing on: spans for the request and its Redis calls, and their ids in the log lines."""

import logging

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from kvapi.app import create_app
from kvapi.observability.logging import JsonFormatter, no_trace
from kvapi.observability.tracing import setup_tracing
from kvapi.settings import Settings
from testbed.logs import JsonLines, access_lines


@pytest.fixture
def traced(redis_url: str, redis_client, captured: JsonLines):  # type: ignore[no-untyped-def]
    exporter = InMemorySpanExporter()
    app = create_app(Settings(redis_url=redis_url))
    setup_tracing(app, exporter)
    with TestClient(app) as client:
        yield client, exporter
    JsonFormatter.trace_ids = staticmethod(no_trace)


def test_spans_and_log_correlation(traced, captured: JsonLines) -> None:  # type: ignore[no-untyped-def]
    client, exporter = traced
    client.put("/v1/keys/k", json={"value": "v"})
    names = [span.name for span in exporter.get_finished_spans()]
    assert any("PUT /v1/keys/{key}" in name for name in names), names
    assert any(name in ("EVALSHA", "EVAL") for name in names), names
    (line,) = access_lines(captured)
    server_span = next(s for s in exporter.get_finished_spans() if s.name == "PUT /v1/keys/{key}")
    assert line["trace_id"] == format(server_span.context.trace_id, "032x")
    assert line["span_id"] is not None


def test_tracing_is_off_without_endpoint(client: TestClient, captured: JsonLines) -> None:
    client.get("/healthz")
    (line,) = access_lines(captured)
    assert line["trace_id"] is None


def test_tracing_requested_by_env(monkeypatch: pytest.MonkeyPatch) -> None:
    from kvapi.observability.tracing import tracing_requested

    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    assert not tracing_requested()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert tracing_requested()


logging.getLogger("opentelemetry").setLevel(logging.ERROR)
