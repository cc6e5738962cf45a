"""What a dashboard shows, as plain data: the builders in build.py turn it into Grafana JSON.

Keeping panels as data lets the live test (tests/live) run every query of every panel against a
real Prometheus, and read why a panel is allowed to stay empty there (`no_data_here`).
"""

from dataclasses import dataclass
from typing import Literal

# Label selectors shared by many queries.
KVAPI = 'job="kvapi"'
API = 'job="kvapi",route!~"/metrics|/healthz|/readyz|/health"'  # what users call, as the SLIs
REDIS = 'job="redis_exporter"'
# node_exporter under compose's scrape config, node-exporter under kube-prometheus-stack.
NODE = 'job=~"node_exporter|node-exporter"'
RATE = "$__rate_interval"  # Grafana's rate window: at least four scrape intervals

# Reasons shared by several panels that cannot have data outside their real setting.
KUBERNETES_ONLY = (
    "Kubernetes only: cAdvisor and kube-state-metrics exist in a cluster, not in compose or in "
    "the live test on one machine."
)
NEEDS_REPLICA = (
    "Needs a replica: compose and the general live test run one standalone Redis; production "
    "and the Redis replication live test run a primary with a replica."
)


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""
    language: Literal["promql", "logql"] = "promql"
    instant: bool = False
    # Ask Prometheus for the exemplars of the histogram the query reads: each is a point on
    # the graph that links to its trace (the Prometheus data source's exemplar link).
    exemplars: bool = False


@dataclass(frozen=True)
class Panel:
    title: str
    description: str
    queries: tuple[Query, ...]
    kind: Literal["timeseries", "stat", "bargauge", "logs"] = "timeseries"
    unit: str = "short"
    width: int = 12
    # Why this panel has no data in the live test; None means it must have data there.
    no_data_here: str | None = None


@dataclass(frozen=True)
class Row:
    title: str
    panels: tuple[Panel, ...]


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    description: str
    rows: tuple[Row, ...]

    @property
    def panels(self) -> tuple[Panel, ...]:
        return tuple(panel for row in self.rows for panel in row.panels)
