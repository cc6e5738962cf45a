"""The servers the benchmark compares.

`make bench` runs every variant under gunicorn with the service's worker class (uvloop,
httptools) and the same worker count, so the differences it measures are those of the
application design, not of the server. The granian variants (`make bench-servers`, ADR 0060)
are the exception on purpose: they compare the server model itself.
"""

import sys
from dataclasses import dataclass, field
from pathlib import Path

# A placeholder write token for a throwaway Redis, not a secret.
BENCH_TOKEN = "bench-change-me"  # noqa: S105


@dataclass(frozen=True)
class Variant:
    name: str
    label: str
    asgi_app: str | None = None  # module:attribute to serve; None = `kvapi serve`
    server: str = "gunicorn"  # "gunicorn" (with the service's uvicorn worker) or "granian"
    env: dict[str, str] = field(default_factory=dict)
    cluster: bool = False  # against the run's 3-shard Redis Cluster instead of its single node
    worker_counts: tuple[int, ...] = (1, 2)  # the runs it takes part in
    traced: bool = False  # exports spans to the bench's OTLP receiver

    def command(self, port: int, workers: int) -> list[str]:
        if self.asgi_app is None:
            return [sys.executable, "-m", "kvapi.server", "serve"]
        if self.server == "granian":
            factory = ["--factory"] if self.asgi_app.endswith(":create") else []
            return [
                str(Path(sys.executable).parent / "granian"), "--interface", "asgi",
                "--workers", str(workers), "--loop", "uvloop", "--no-ws",
                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
                *factory, self.asgi_app,
            ]  # fmt: skip
        return [
            sys.executable, "-m", "gunicorn", self.asgi_app,
            "--workers", str(workers),
            "--worker-class", "kvapi.server.Worker",
            "--bind", f"127.0.0.1:{port}",
            "--keep-alive", "5",
        ]  # fmt: skip

    def environment(
        self, port: int, workers: int, redis_url: str, otlp_endpoint: str | None = None
    ) -> dict[str, str]:
        """(b), (c) and (d) read BENCH_REDIS_URL; of the KVAPI_* settings only the worker
        class's header limits apply to them (the defaults: none is set here)."""
        if self.traced:
            if otlp_endpoint is None:
                raise ValueError(f"{self.name} exports spans: it needs an OTLP endpoint")
            traced = {"OTEL_EXPORTER_OTLP_ENDPOINT": otlp_endpoint}
        else:
            traced = {}
        return {
            "BENCH_REDIS_URL": redis_url,
            "KVAPI_REDIS_URL": redis_url,
            "KVAPI_PORT": str(port),
            "KVAPI_WORKERS": str(workers),
            "KVAPI_WRITE_TOKENS": BENCH_TOKEN,
            "KVAPI_LOG_LEVEL": "INFO",
            **traced,
            **self.env,
        }


# Production settings: metrics, JSON access logs and request ids on, write tokens required,
# tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT), the image's defaults for everything else.
SERVICE = Variant("service", "(a) kvapi, production settings")
# Rate limiting costs a Redis round trip per request; limits far above the bench's rate
# measure that cost without refusing anything.
SERVICE_LIMITED = Variant(
    "service_rate_limited",
    "(a+rl) kvapi, production settings + rate limiting",
    env={"KVAPI_RATE_LIMIT_READS": "1000000/second", "KVAPI_RATE_LIMIT_WRITES": "1000000/second"},
)
# Production settings plus tracing, every request sampled (the worst case; prod samples a
# ratio), spans batched to a local OTLP/HTTP receiver: the cost of tracing is (at)/(a).
SERVICE_TRACED = Variant(
    "service_traced",
    "(at) kvapi, production settings + tracing (all sampled)",
    env={"OTEL_TRACES_SAMPLER": "parentbased_always_on"},
    traced=True,
)
# What production runs (deploy/k8s/overlays/prod): 10 % of the traces sampled.
SERVICE_TRACED_RATIO = Variant(
    "service_traced_ratio",
    "(at10) kvapi, production settings + tracing (10 % sampled)",
    env={"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"},
    traced=True,
)
SERVICE_QUIET = Variant(
    "service_no_telemetry",
    "(a0) kvapi, metrics and access log off",
    env={"KVAPI_METRICS_ENABLED": "false", "KVAPI_ACCESS_LOG": "false"},
)
# The same service against a 3-shard Redis Cluster (3 primaries, 3 replicas on this machine),
# measured in the same rounds as (a) against one node. Only with 2 workers: with 1 the servers
# and the single Redis are pinned to separate cores, which six cluster nodes cannot share.
SERVICE_CLUSTER = Variant(
    "service_cluster",
    "(a/cl) kvapi, production settings, 3-shard Redis Cluster",
    env={"KVAPI_REDIS_CLUSTER": "true"},
    cluster=True,
    worker_counts=(2,),
)
ORIGINAL = Variant("original", "(b) original design", asgi_app="bench.original_app:app")
BARE = Variant("bare", "(c) bare ASGI ceiling", asgi_app="bench.bare_app:app")

# The server-model comparison (`make bench-servers`, docs/adr/0060): the same apps on granian.
SERVICE_GRANIAN = Variant(
    "service_granian",
    "(a/g) kvapi on granian, production settings",
    asgi_app="bench.granian_app:create",
    server="granian",
)
BARE_GRANIAN = Variant(
    "bare_granian", "(c/g) bare ASGI on granian", asgi_app="bench.bare_app:app", server="granian"
)

FASTAPI_MINIMAL = Variant(
    "fastapi_minimal",
    "(d) minimal async FastAPI, pooled client",
    asgi_app="bench.fastapi_min_app:app",
)

# (a) and (a0) measured back to back in every round: the telemetry cost is their ratio, and a
# burst of load from elsewhere then tends to hit both rather than one of them.
DEFAULT = (SERVICE, SERVICE_QUIET, SERVICE_LIMITED, SERVICE_CLUSTER, ORIGINAL, BARE)
# Tracing's cost (docs/observability.md): `--variants service service_traced service_traced_ratio`.
TRACING = (SERVICE, SERVICE_TRACED, SERVICE_TRACED_RATIO)
VARIANTS = {
    v.name: v for v in (*DEFAULT, *TRACING[1:], FASTAPI_MINIMAL, SERVICE_GRANIAN, BARE_GRANIAN)
}
