"""Turn the dashboard specs into Grafana 11 JSON with grafana-foundation-sdk."""

import json
from typing import Any

from grafana_foundation_sdk.builders import bargauge, logs, loki, prometheus, stat, timeseries
from grafana_foundation_sdk.builders import dashboard as dashboard_builders
from grafana_foundation_sdk.builders.common import ReduceDataOptions
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DashboardCursorSync, DataSourceRef

from .spec import Dashboard, Panel, Query

# Panels name their data source through these variables, never by a fixed uid, so the same
# JSON works in compose, in Kubernetes and on any Grafana whose data sources are named otherwise.
PROMETHEUS = DataSourceRef(type_val="prometheus", uid="${datasource}")
LOKI = DataSourceRef(type_val="loki", uid="${loki}")
HEIGHT = 8


def _target(query: Query, ref_id: str) -> Any:
    if query.language == "logql":
        return loki.Dataquery().expr(query.expr).ref_id(ref_id).datasource(LOKI)
    target = (
        prometheus.Dataquery()
        .expr(query.expr)
        .ref_id(ref_id)
        .legend_format(query.legend or "__auto")
        .datasource(PROMETHEUS)
    )
    if query.exemplars:
        target = target.exemplar(True)
    return target.instant() if query.instant else target.range()


def _panel(spec: Panel) -> Any:
    description = spec.description
    if spec.no_data_here:
        description += f"\n\nNo data outside its setting: {spec.no_data_here}"
    builder: Any
    if spec.kind == "logs":
        builder = logs.Panel().show_time(True).wrap_log_message(True).datasource(LOKI)
    else:
        builder = (
            {
                "timeseries": timeseries.Panel,
                "stat": stat.Panel,
                "bargauge": bargauge.Panel,
            }[spec.kind]()
            .unit(spec.unit)
            .datasource(PROMETHEUS)
        )
        if spec.kind != "timeseries":
            builder = builder.reduce_options(ReduceDataOptions().calcs(["lastNotNull"]))
    builder = builder.title(spec.title).description(description).span(spec.width).height(HEIGHT)
    for index, query in enumerate(spec.queries):
        builder = builder.with_target(_target(query, chr(ord("A") + index)))
    return builder


def build(spec: Dashboard) -> dict[str, Any]:
    board = (
        dashboard_builders.Dashboard(spec.title)
        .uid(spec.uid)
        .description(spec.description)
        .tags(["kvapi"])
        .editable()
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .time("now-6h", "now")
        .refresh("30s")
        .timezone("utc")
        .with_variable(
            dashboard_builders.DatasourceVariable("datasource")
            .label("Prometheus")
            .type("prometheus")
        )
        .with_variable(dashboard_builders.DatasourceVariable("loki").label("Loki").type("loki"))
    )
    # Grafana keys panel state (links, edits) on ids: stable, unique, in order of appearance.
    panel_id = 0
    for row in spec.rows:
        panel_id += 1
        board = board.with_row(dashboard_builders.Row(row.title).id(panel_id))
        for panel in row.panels:
            panel_id += 1
            board = board.with_panel(_panel(panel).id(panel_id))
    built: dict[str, Any] = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    return built


def render(spec: Dashboard) -> str:
    return json.dumps(build(spec), indent=2, sort_keys=True) + "\n"
