"""Application performance: traffic, errors, latency per route, in-flight requests, SLOs."""

from . import canary
from .spec import API, KVAPI, RATE, Dashboard, Panel, Query, Row

DASHBOARD = Dashboard(
    uid="kvapi-application",
    title="kvapi / Application performance",
    description="Request rate, error ratio and latency per route (with exemplars linking to "
    "traces), in-flight requests, the canary by revision against its analysis thresholds, and "
    "the two 30-day SLOs (availability 99.9 %, latency 99 % under 500 ms).",
    rows=(
        Row(
            "Traffic",
            (
                Panel(
                    "Request rate per route",
                    "Requests per second by route template (5m rate, recorded).",
                    (
                        Query(
                            f"sum by (route) (job_route:http_requests:rate5m{{{KVAPI}}})",
                            "{{route}}",
                        ),
                    ),
                    unit="reqps",
                ),
                Panel(
                    "Responses by status",
                    "Responses per second by HTTP status code, probes and /metrics included.",
                    (
                        Query(
                            f"sum by (status) (rate(http_requests_total{{{KVAPI}}}[{RATE}]))",
                            "{{status}}",
                        ),
                    ),
                    unit="reqps",
                ),
                Panel(
                    "In-flight requests",
                    "Requests being served right now, by route, summed over workers and instances.",
                    (Query(f"sum by (route) (http_requests_in_progress{{{KVAPI}}})", "{{route}}"),),
                ),
                Panel(
                    "Redis calls from kvapi: p95 by command",
                    "How long the service waits on Redis, as measured by the service.",
                    (
                        Query(
                            "histogram_quantile(0.95, sum by (command, le) "
                            f"(rate(kvapi_redis_command_duration_seconds_bucket{{{KVAPI}}}[{RATE}])))",
                            "{{command}}",
                        ),
                    ),
                    unit="s",
                ),
            ),
        ),
        Row(
            "Errors",
            (
                Panel(
                    "5xx ratio per route",
                    "Share of responses that are 5xx, by route (5m, recorded).",
                    (Query(f"job_route:http_request_errors:ratio_rate5m{{{KVAPI}}}", "{{route}}"),),
                    unit="percentunit",
                ),
                Panel(
                    "Redis errors seen by kvapi",
                    "Failed Redis calls per second by command and error kind.",
                    (
                        Query(
                            "sum by (command, kind) "
                            f"(rate(kvapi_redis_errors_total{{{KVAPI}}}[{RATE}]))",
                            "{{command}} {{kind}}",
                        ),
                    ),
                    unit="reqps",
                ),
            ),
        ),
        Row(
            "Latency",
            (
                Panel(
                    "Latency percentiles per route",
                    "p50, p95 and p99 of request duration by route (5m, recorded).",
                    tuple(
                        Query(
                            f"job_route:http_request_duration_seconds:{q}_rate5m{{{KVAPI}}}",
                            f"{q} {{{{route}}}}",
                        )
                        for q in ("p50", "p95", "p99")
                    ),
                    unit="s",
                ),
                Panel(
                    "p95 latency per route, with traces",
                    "95th percentile of request duration by route, from the raw histogram; the "
                    "dots are exemplars, each the trace id of a recent request in that bucket "
                    "(tracing on): click one, then the Jaeger link, to see where its time went.",
                    (
                        Query(
                            "histogram_quantile(0.95, sum by (route, le) "
                            f"(rate(http_request_duration_seconds_bucket{{{API}}}[{RATE}])))",
                            "p95 {{route}}",
                            exemplars=True,
                        ),
                    ),
                    unit="s",
                ),
                Panel(
                    "API requests slower than 500 ms",
                    "Share of API requests over the latency SLO threshold (the latency SLI, 5m).",
                    (Query('slo:sli_error:ratio_rate5m{slo="latency"}', "slower than 500 ms"),),
                    unit="percentunit",
                ),
            ),
        ),
        canary.ROW,
        Row(
            "SLOs (30 days)",
            (
                Panel(
                    "Error budget remaining",
                    "Share of the 30-day error budget left; below 0 the SLO is missed.",
                    (Query("slo:period_error_budget_remaining:ratio", "{{slo}}"),),
                    kind="stat",
                    unit="percentunit",
                    width=8,
                ),
                Panel(
                    "SLI over 30 days",
                    "Good events over the period, against objectives of 99.9 % and 99 %.",
                    (Query("1 - slo:sli_error:ratio_rate30d", "{{slo}}"),),
                    kind="stat",
                    unit="percentunit",
                    width=8,
                ),
                Panel(
                    "Burn rate",
                    "How fast the budget burns now (5m); 1 spends exactly the budget in 30 days, "
                    "14.4 pages.",
                    (Query("slo:current_burn_rate:ratio", "{{slo}}"),),
                    width=8,
                ),
            ),
        ),
        Row(
            "Logs",
            (
                Panel(
                    "Error log lines",
                    "kvapi log lines at level error, parsed from JSON, newest first.",
                    (Query('{service="kvapi", level="error"} | json', language="logql"),),
                    kind="logs",
                    width=24,
                    no_data_here="Loki data source: Loki does not run on this machine; its "
                    "configuration is verified in the GitHub workflow.",
                ),
            ),
        ),
    ),
)
