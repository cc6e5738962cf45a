"""Seam contracts of the trace path on Kubernetes (issue 18 on issue 15's add-ons).

What kvapi's manifests and the monitoring add-ons assume about the jaeger add-on, checked
against what the jaeger chart makes of its Application (jaegertracing/helm-charts tag
jaeger-4.11.1, read there: templates/_helpers.tpl names and labels, templates/jaeger/
jaeger-deploy.yaml the pod labels, jaeger-service.yaml the Service and its ports), and what
Grafana needs of kube-prometheus-stack 88.5.3 (exemplar storage, the exemplar link of the
Prometheus data source it makes) and of deploy/gitops/generated (compose's Loki and Jaeger data
sources). Each check returns its problems and has a negative test on a copy with the seam
broken.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from testbed.tools import REPO
from tests.deploy.gitops_support import (
    ENVIRONMENTS,
    applications,
    grafana_datasources,
    helm_values,
)
from tests.deploy.k8s_support import OVERLAYS, Obj, built, one, selects

CHART = "jaeger"
# jaeger-deploy.yaml: the pod template carries jaeger.selectorLabels plus this component.
COMPONENT = "all-in-one"
# jaeger-service.yaml: the ports of Service <fullname>, each to the same targetPort: OTLP/HTTP
# (kvapi's exporter) and the query UI/API (Grafana's data source; jaeger_query's default).
OTLP_HTTP_PORT = 4318
QUERY_PORT = 16686


def chart_name(values: Obj) -> str:
    """_helpers.tpl `jaeger.name`: nameOverride, else the chart's name."""
    return str(values.get("nameOverride") or CHART)


def service_name(application: Obj) -> str:
    """_helpers.tpl `jaeger.fullname`: fullnameOverride, else the release name when it
    contains the chart name, else <release>-<name>."""
    values = helm_values(application)
    release = application["spec"]["source"]["helm"]["releaseName"]
    if values.get("fullnameOverride"):
        return str(values["fullnameOverride"])
    name = chart_name(values)
    return release if name in release else f"{release}-{name}"


def pod_labels(application: Obj) -> dict[str, str]:
    values = helm_values(application)
    return {
        "app.kubernetes.io/name": chart_name(values),
        "app.kubernetes.io/instance": application["spec"]["source"]["helm"]["releaseName"],
        "app.kubernetes.io/component": COMPONENT,
        **values.get("jaeger", {}).get("podLabels", {}),
    }


def otlp_http_port(application: Obj) -> int:
    """The port Jaeger's OTLP/HTTP receiver listens on (its userconfig); the chart's Service
    publishes 4318 to targetPort 4318, so the two must agree."""
    receiver = helm_values(application)["userconfig"]["receivers"]["otlp"]["protocols"]["http"]
    return int(receiver["endpoint"].rsplit(":", 1)[1])


def egress_policy_problems(objects: tuple[Obj, ...], apps: dict[str, Obj]) -> list[str]:
    """kvapi-egress-traces lets kvapi reach the jaeger add-on's pods on the OTLP/HTTP port."""
    jaeger = apps[CHART]
    namespace = jaeger["spec"]["destination"]["namespace"]
    labels, port = pod_labels(jaeger), otlp_http_port(jaeger)
    problems = []
    policy = one(objects, "NetworkPolicy", "kvapi-egress-traces")
    for rule in policy["spec"]["egress"]:
        for peer in rule["to"]:
            peer_namespace = peer["namespaceSelector"]["matchLabels"]
            if peer_namespace != {"kubernetes.io/metadata.name": namespace}:
                problems.append(f"selects namespace {peer_namespace}, Jaeger runs in {namespace}")
            selector = peer["podSelector"]["matchLabels"]
            if not selects(selector, labels):
                problems.append(f"selects pods {selector}, Jaeger's pods are {labels}")
        ports = [(p["port"], p.get("protocol", "TCP")) for p in rule["ports"]]
        if ports != [(port, "TCP")]:
            problems.append(f"opens {ports}, Jaeger receives OTLP/HTTP on TCP {port}")
    return problems


def endpoint_problems(settings: dict[str, str], apps: dict[str, Obj]) -> list[str]:
    jaeger = apps[CHART]
    problems = []
    if otlp_http_port(jaeger) != OTLP_HTTP_PORT:
        problems.append(
            f"Jaeger listens on {otlp_http_port(jaeger)}, its Service on {OTLP_HTTP_PORT}"
        )
    expected = (
        f"http://{service_name(jaeger)}.{jaeger['spec']['destination']['namespace']}.svc:"
        f"{OTLP_HTTP_PORT}"
    )
    actual = settings["OTEL_EXPORTER_OTLP_ENDPOINT"]
    if actual != expected:
        problems.append(f"kvapi exports to {actual}, Jaeger is at {expected}")
    return problems


def settings(objects: tuple[Obj, ...]) -> dict[str, str]:
    (config_map,) = [
        obj
        for obj in objects
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"].startswith("kvapi-settings")
    ]
    data: dict[str, str] = config_map["data"]
    return data


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kvapi_may_send_spans_to_the_jaeger_pods(overlay: str) -> None:
    assert egress_policy_problems(built(overlay), applications(overlay)) == []
    assert endpoint_problems(settings(built(overlay)), applications(overlay)) == []


def _policy(objects: tuple[Obj, ...]) -> dict[str, Any]:
    return one(objects, "NetworkPolicy", "kvapi-egress-traces")


def test_a_policy_that_misses_the_jaeger_pods_is_rejected() -> None:
    apps = applications("prod")
    wrong_label = copy.deepcopy(built("prod"))
    peer = _policy(wrong_label)["spec"]["egress"][0]["to"][0]
    peer["podSelector"]["matchLabels"] = {"app": "jaeger"}
    assert egress_policy_problems(wrong_label, apps)
    wrong_namespace = copy.deepcopy(built("prod"))
    peer = _policy(wrong_namespace)["spec"]["egress"][0]["to"][0]
    peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] = "observability"
    assert egress_policy_problems(wrong_namespace, apps)
    grpc = copy.deepcopy(built("prod"))
    _policy(grpc)["spec"]["egress"][0]["ports"][0]["port"] = 4317
    assert egress_policy_problems(grpc, apps)


def test_a_renamed_jaeger_release_is_rejected() -> None:
    apps = copy.deepcopy(applications("prod"))
    apps[CHART]["spec"]["source"]["helm"]["releaseName"] = "traces"
    assert service_name(apps[CHART]) == "traces-jaeger"
    assert egress_policy_problems(built("prod"), apps)
    assert endpoint_problems(settings(built("prod")), apps)
    moved = copy.deepcopy(applications("prod"))
    receiver = helm_values(moved[CHART])["userconfig"]["receivers"]["otlp"]["protocols"]["http"]
    receiver["endpoint"] = "0.0.0.0:4319"
    assert endpoint_problems(settings(built("prod")), moved) == [
        "Jaeger listens on 4319, its Service on 4318"
    ]


# --- Grafana's links between metrics, logs and traces, and the exemplars they start from ----

COMPOSE_DATASOURCES = REPO / "observability/grafana/provisioning/datasources/datasources.yml"


def compose_datasources() -> dict[str, Obj]:
    return {s["uid"]: s for s in yaml.safe_load(COMPOSE_DATASOURCES.read_text())["datasources"]}


def grafana_problems(apps: dict[str, Obj], cluster: dict[str, Obj]) -> list[str]:
    """The cluster's Grafana has compose's data sources and links, at the add-ons' Services,
    and its Prometheus keeps the exemplars the links start from."""
    problems = []
    compose = compose_datasources()
    kps = helm_values(apps["kube-prometheus-stack"])
    if "exemplar-storage" not in kps["prometheus"]["prometheusSpec"].get("enableFeatures", []):
        problems.append("Prometheus drops exemplars: no enableFeatures [exemplar-storage]")
    chart_made = {"prometheus", "alertmanager"}
    for uid in chart_made & set(cluster):
        problems.append(f"data source {uid} is made by the chart and rendered again")
    for uid in set(compose) - chart_made:
        if uid not in cluster:
            problems.append(f"data source {uid} of compose is missing in the cluster")
        elif {**cluster[uid], "url": None} != {**compose[uid], "url": None}:
            problems.append(f"data source {uid} differs from compose's beyond its URL")
    jaeger = apps[CHART]
    query = (
        f"http://{service_name(jaeger)}.{jaeger['spec']['destination']['namespace']}.svc:"
        f"{QUERY_PORT}"
    )
    if cluster.get(CHART, {}).get("url") != query:
        problems.append(f"Grafana's Jaeger data source is not Jaeger's query Service {query}")
    (wanted,) = compose["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
    chart = kps["grafana"]["sidecar"]["datasources"].get("exemplarTraceIdDestinations", {})
    if (chart.get("datasourceUid"), chart.get("traceIdLabelName")) != (
        wanted["datasourceUid"],
        wanted["name"],
    ):
        problems.append(f"the chart's Prometheus links exemplars by {chart}, compose by {wanted}")
    return problems


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_grafana_links_exemplars_logs_and_traces_as_compose_does(environment: str) -> None:
    assert grafana_problems(applications(environment), grafana_datasources()) == []


def test_a_broken_trace_link_is_rejected() -> None:
    apps, sources = applications("prod"), grafana_datasources()
    renamed = copy.deepcopy(apps)
    renamed[CHART]["spec"]["source"]["helm"]["releaseName"] = "traces"
    assert grafana_problems(renamed, sources) == [
        "Grafana's Jaeger data source is not Jaeger's query Service "
        "http://traces-jaeger.monitoring.svc:16686"
    ]
    unlinked = copy.deepcopy(sources)
    unlinked["loki"]["jsonData"]["derivedFields"][0]["datasourceUid"] = "tempo"
    assert grafana_problems(apps, unlinked) == [
        "data source loki differs from compose's beyond its URL"
    ]
    no_exemplars = copy.deepcopy(apps)
    values = helm_values(no_exemplars["kube-prometheus-stack"])
    del values["prometheus"]["prometheusSpec"]["enableFeatures"]
    values["grafana"]["sidecar"]["datasources"]["exemplarTraceIdDestinations"] = {}
    assert len(grafana_problems(no_exemplars, sources)) == 2
    twice = {**sources, "prometheus": compose_datasources()["prometheus"]}
    assert grafana_problems(apps, twice) == [
        "data source prometheus is made by the chart and rendered again"
    ]
