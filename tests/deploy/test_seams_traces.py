"""Seam contracts of the trace path on Kubernetes (issue 18 on issue 15's add-ons).

What kvapi's manifests and the monitoring add-ons assume about the jaeger add-on, checked
against what the jaeger chart makes of its Application (jaegertracing/helm-charts tag
jaeger-4.11.1, read there: templates/_helpers.tpl names and labels, templates/jaeger/
jaeger-deploy.yaml the pod labels, jaeger-service.yaml the Service and its ports). Each check
returns its problems and has a negative test on a copy with the seam broken.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.deploy.gitops_support import applications, helm_values
from tests.deploy.k8s_support import OVERLAYS, Obj, built, one, selects

CHART = "jaeger"
# jaeger-deploy.yaml: the pod template carries jaeger.selectorLabels plus this component.
COMPONENT = "all-in-one"
# jaeger-service.yaml: the query UI/API port of Service <fullname> (Grafana's data source).
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
    expected = (
        f"http://{service_name(jaeger)}.{jaeger['spec']['destination']['namespace']}.svc:"
        f"{otlp_http_port(jaeger)}"
    )
    actual = settings["OTEL_EXPORTER_OTLP_ENDPOINT"]
    return [] if actual == expected else [f"kvapi exports to {actual}, Jaeger is at {expected}"]


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
