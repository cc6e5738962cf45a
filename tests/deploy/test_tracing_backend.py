"""The trace backend and the links between metrics, logs and traces, checked offline.

Jaeger runs in compose (compose.yaml, observability/jaeger/jaeger.yaml) and as a cluster
add-on (deploy/gitops/addons/jaeger.yaml); kvapi's OTLP endpoint must name the one of its
environment; Grafana's data sources must link exemplars and log lines to traces and spans to
log lines with the names kvapi really writes. Jaeger and Grafana do not run here: what runs is
in tests/live (exemplars in a real Prometheus).
"""

import re
from typing import Any

import orjson
import pytest

from kvapi.observability.exemplars import TRACE_ID_LABEL
from testbed.tools import REPO
from tests.deploy.k8s_support import OVERLAYS, built, of_kind
from tests.deploy.monitoring_support import GRAFANA, OBSERVABILITY, load_yaml

ADDON = REPO / "deploy" / "gitops" / "addons" / "jaeger.yaml"
JAEGER_CONFIG = OBSERVABILITY / "jaeger" / "jaeger.yaml"
DATASOURCES = GRAFANA / "provisioning" / "datasources" / "datasources.yml"
# jaegertracing/helm-charts tag jaeger-4.11.1, Chart.yaml: appVersion 2.19.0.
CHART_VERSION, JAEGER_VERSION = "4.11.1", "2.19.0"
EXACT_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")


@pytest.fixture(scope="module")
def addon() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(ADDON)
    return loaded


def settings(overlay: str) -> dict[str, str]:
    """The kvapi-settings ConfigMap's data (its name carries a content hash)."""
    (config_map,) = [
        obj
        for obj in of_kind(built(overlay), "ConfigMap")
        if obj["metadata"]["name"].startswith("kvapi-settings")
    ]
    data: dict[str, str] = config_map["data"]
    return data


def otlp_http_port() -> int:
    endpoint = load_yaml(JAEGER_CONFIG)["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    return int(endpoint.rsplit(":", 1)[1])


def test_the_addon_is_a_pinned_argo_cd_application(addon: dict[str, Any]) -> None:
    assert addon["apiVersion"] == "argoproj.io/v1alpha1" and addon["kind"] == "Application"
    assert addon["metadata"]["namespace"] == "argocd"
    source = addon["spec"]["source"]
    assert source["repoURL"] == "https://jaegertracing.github.io/helm-charts"
    assert source["chart"] == "jaeger"
    assert source["targetRevision"] == CHART_VERSION
    assert EXACT_VERSION.fullmatch(source["targetRevision"])
    assert addon["spec"]["destination"]["namespace"] == "monitoring"


def test_compose_and_the_cluster_run_the_same_jaeger(addon: dict[str, Any]) -> None:
    values = addon["spec"]["source"]["helm"]["valuesObject"]
    assert values["userconfig"] == load_yaml(JAEGER_CONFIG)
    compose = load_yaml(REPO / "compose.yaml")["services"]
    assert compose["jaeger"]["image"] == f"jaegertracing/jaeger:{JAEGER_VERSION}"
    # The Badger directories are on the volume each environment mounts at /tmp.
    badger = load_yaml(JAEGER_CONFIG)["extensions"]["jaeger_storage"]["backends"]["traces"]
    assert badger["badger"]["directories"]["keys"].startswith("/tmp/")
    assert {"name": "badger", "mountPath": "/tmp"} in values["jaeger"]["extraVolumeMounts"]
    assert "jaeger-data:/tmp" in compose["jaeger"]["volumes"]


def test_kvapi_exports_to_the_jaeger_of_its_environment(addon: dict[str, Any]) -> None:
    compose_env = load_yaml(REPO / "compose.yaml")["services"]["kvapi"]["environment"]
    assert compose_env["OTEL_EXPORTER_OTLP_ENDPOINT"].endswith(
        f":-http://jaeger:{otlp_http_port()}}}"
    )
    release = addon["spec"]["source"]["helm"]["releaseName"]
    namespace = addon["spec"]["destination"]["namespace"]
    for overlay in OVERLAYS:
        assert (
            settings(overlay)["OTEL_EXPORTER_OTLP_ENDPOINT"]
            == f"http://{release}.{namespace}.svc:{otlp_http_port()}"
        )


def test_production_samples_a_ratio_and_the_docs_state_it() -> None:
    prod = settings("prod")
    assert prod["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio"
    ratio = prod["OTEL_TRACES_SAMPLER_ARG"]
    assert 0 < float(ratio) <= 1
    assert f"OTEL_TRACES_SAMPLER_ARG={ratio}" in (REPO / "docs" / "observability.md").read_text()
    for overlay in ("dev", "staging"):
        assert settings(overlay)["OTEL_TRACES_SAMPLER"] == "parentbased_always_on"


def datasources() -> dict[str, dict[str, Any]]:
    return {source["uid"]: source for source in load_yaml(DATASOURCES)["datasources"]}


def test_exemplars_open_their_trace_in_jaeger() -> None:
    sources = datasources()
    (destination,) = sources["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
    assert destination == {"name": TRACE_ID_LABEL, "datasourceUid": "jaeger"}
    assert sources["jaeger"]["type"] == "jaeger"


def test_a_log_line_opens_its_trace() -> None:
    (field,) = datasources()["loki"]["jsonData"]["derivedFields"]
    assert field["datasourceUid"] == "jaeger"
    assert field["url"] == "$${__value.raw}"  # $$: provisioning's escape of Grafana's $
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    line = orjson.dumps({"event": "request", "trace_id": trace_id, "status": 200}).decode()
    match = re.search(field["matcherRegex"], line)
    assert match and match.group(1) == trace_id
    assert re.search(field["matcherRegex"], '{"trace_id":null}') is None


def test_a_trace_opens_its_log_lines() -> None:
    link = datasources()["jaeger"]["jsonData"]["tracesToLogsV2"]
    assert link["datasourceUid"] == "loki"
    assert link["customQuery"] is True
    assert link["query"].startswith('{service="kvapi"}')  # the stream label Alloy sets
    assert 'trace_id=~"0*$${__trace.traceId}"' in link["query"]
    alloy = (OBSERVABILITY / "alloy" / "pipeline.alloy").read_text()
    assert 'trace_id   = ""' in alloy.split("stage.structured_metadata")[1]
