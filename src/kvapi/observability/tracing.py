"""OpenTelemetry traces, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set.

When off, nothing is imported or instrumented, so the request path pays nothing.
"""

import os
from typing import TYPE_CHECKING

from fastapi import FastAPI

from kvapi.observability.logging import JsonFormatter

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter


def tracing_requested() -> bool:
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def current_trace_ids() -> tuple[str | None, str | None]:
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None, None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def setup_tracing(app: FastAPI, exporter: "SpanExporter | None" = None) -> None:
    """Instrument the app and Redis; `exporter` defaults to OTLP over HTTP from the env."""
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor: SimpleSpanProcessor | BatchSpanProcessor = BatchSpanProcessor(OTLPSpanExporter())
    else:
        processor = SimpleSpanProcessor(exporter)
    provider = TracerProvider(resource=Resource.create({"service.name": "kvapi"}))
    provider.add_span_processor(processor)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider)
    RedisInstrumentor().instrument(tracer_provider=provider)
    JsonFormatter.trace_ids = staticmethod(current_trace_ids)
