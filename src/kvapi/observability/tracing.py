"""OpenTelemetry traces, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set.

When off, nothing is imported or instrumented, so the request path pays nothing. When on, the
SDK reads the rest of its settings from the standard variables, OTEL_TRACES_SAMPLER and
OTEL_TRACES_SAMPLER_ARG included (default parentbased_always_on; production sets
parentbased_traceidratio, docs/observability.md). Every request gets a trace id, sampled or
not, and the log lines carry it; the latency histogram's exemplars name sampled traces only,
since only those reach the trace backend.
"""

import os
from typing import TYPE_CHECKING

from fastapi import FastAPI

from kvapi.observability.logging import JsonFormatter

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter


# Probes and scrapes: traces of them would be most of the traces and none of the interest.
# Matched against the full URL, so /v1/keys/metrics is still traced.
UNTRACED_URLS = "://[^/]+/metrics$,://[^/]+/healthz$,://[^/]+/readyz$"


def tracing_requested() -> bool:
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))


def current_trace_ids() -> tuple[str | None, str | None]:
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None, None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def sampled_trace_id() -> str | None:
    from opentelemetry import trace

    context = trace.get_current_span().get_span_context()
    if not context.trace_flags.sampled:  # also false for the invalid context of no span
        return None
    return format(context.trace_id, "032x")


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
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls=UNTRACED_URLS,
        # One span per request, not three: the ASGI receive and send spans cost CPU on every
        # sampled request and say nothing the request span does not.
        exclude_spans=["receive", "send"],
    )
    RedisInstrumentor().instrument(tracer_provider=provider)
    JsonFormatter.trace_ids = staticmethod(current_trace_ids)
    app.state.metrics.enable_exemplars(sampled_trace_id)
