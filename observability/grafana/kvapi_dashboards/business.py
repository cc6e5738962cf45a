"""Business: what clients do with the store, how much they write, how many they are."""

from .spec import API, KVAPI, RATE, Dashboard, Panel, Query, Row

DASHBOARD = Dashboard(
    uid="kvapi-business",
    title="kvapi / Business",
    description="Key-value operations by type and result, bytes written, distinct active "
    "clients, busiest routes and rate-limited requests.",
    rows=(
        Row(
            "Usage",
            (
                Panel(
                    "Operations by type and result",
                    "Key-value operations per second: read hit/miss, write created/replaced, "
                    "delete, list.",
                    (
                        Query(
                            "sum by (operation, result) "
                            f"(rate(kvapi_kv_operations_total{{{KVAPI}}}[{RATE}]))",
                            "{{operation}} {{result}}",
                        ),
                    ),
                    unit="ops",
                ),
                Panel(
                    "Read hit ratio",
                    "Share of reads that found their key.",
                    (
                        Query(
                            "sum(rate(kvapi_kv_operations_total"
                            f'{{{KVAPI},operation="read",result="hit"}}[{RATE}])) / '
                            f'sum(rate(kvapi_kv_operations_total{{{KVAPI},operation="read"}}[{RATE}]))',
                            "hit ratio",
                        ),
                    ),
                    unit="percentunit",
                ),
                Panel(
                    "Bytes written per second",
                    "Value bytes accepted by writes.",
                    (
                        Query(
                            f"sum(rate(kvapi_kv_written_bytes_total{{{KVAPI}}}[{RATE}]))", "written"
                        ),
                    ),
                    unit="Bps",
                    width=8,
                ),
                Panel(
                    "Bytes written in the last 24 h",
                    "Value bytes accepted by writes over the last day.",
                    (Query(f"sum(increase(kvapi_kv_written_bytes_total{{{KVAPI}}}[1d]))", "24 h"),),
                    kind="stat",
                    unit="bytes",
                    width=8,
                ),
                Panel(
                    "Active clients",
                    "Distinct clients (token identity, else IP) in the last hour and day. Every "
                    "instance reads the same HyperLogLog in Redis, hence max, not sum.",
                    (Query(f"max by (window) (kvapi_active_clients{{{KVAPI}}})", "{{window}}"),),
                    kind="stat",
                    width=8,
                ),
            ),
        ),
        Row(
            "Routes and limits",
            (
                Panel(
                    "Busiest routes",
                    "API requests per route over the selected time range, top 5.",
                    (
                        Query(
                            "topk(5, sum by (route) "
                            f"(increase(http_requests_total{{{API}}}[$__range])))",
                            "{{route}}",
                            instant=True,
                        ),
                    ),
                    kind="bargauge",
                ),
                Panel(
                    "Rate-limited requests",
                    "Requests refused with 429 per second, by route class.",
                    (
                        Query(
                            "sum by (route_class) "
                            f"(rate(kvapi_rate_limited_total{{{KVAPI}}}[{RATE}]))",
                            "{{route_class}}",
                        ),
                    ),
                    unit="reqps",
                ),
            ),
        ),
    ),
)
