"""A stand-in trace backend (tests/live, bench): an OTLP/HTTP receiver on a free loopback port
that keeps the trace ids of the spans it is sent (protobuf, as kvapi's exporter sends them)."""

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest


class OtlpSink:
    """`keep_ids=False` answers without decoding (the bench: the sink must cost little)."""

    def __init__(self, keep_ids: bool = True) -> None:
        self.trace_ids: set[str] = set()
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if keep_ids:
                    sink.keep(ExportTraceServiceRequest.FromString(body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass  # quiet: the test prints what matters

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def keep(self, request: ExportTraceServiceRequest) -> None:
        ids = {
            span.trace_id.hex()
            for resource in request.resource_spans
            for scope in resource.scope_spans
            for span in scope.spans
        }
        with self._lock:
            self.trace_ids |= ids

    @property
    def endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def received(self) -> set[str]:
        with self._lock:
            return set(self.trace_ids)


@contextlib.contextmanager
def otlp_sink(keep_ids: bool = True) -> Iterator[OtlpSink]:
    sink = OtlpSink(keep_ids)
    thread = threading.Thread(target=sink.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        sink.server.shutdown()
        sink.server.server_close()
        thread.join(timeout=10)
