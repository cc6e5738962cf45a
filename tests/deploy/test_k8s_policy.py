"""Invariants of the built manifests, for every overlay (issue 6 items 1, 2, 4, 6 and 7)."""

from __future__ import annotations

import ipaddress
import json

import pytest

from tests.deploy.k8s_support import (
    OVERLAYS,
    Obj,
    built,
    of_kind,
    one,
    pod_templates,
    selects,
)

REPLICA_RANGE = {"staging": (2, 4), "prod": (3, 10)}
PLACEHOLDERS = ("VPC_CIDR", "ALB_SUBNETS", "ENVIRONMENT", "HOSTNAME")
# Every workload that makes pods, so the checks below that loop over pod templates are known
# to cover each of them: kvapi, and the Redis it is monitored through (issue 16).
WORKLOADS = {
    "dev": {"Rollout/kvapi", "StatefulSet/kvapi-redis"},
    "staging": {"Rollout/kvapi", "Deployment/redis-exporter"},
    "prod": {"Rollout/kvapi", "Deployment/redis-exporter"},
}


def containers(template: Obj) -> list[Obj]:
    spec = template["spec"]
    return spec.get("initContainers", []) + spec["containers"]


def pod_labels(objects: tuple[Obj, ...]) -> list[dict[str, str]]:
    return [template["metadata"]["labels"] for _, template in pod_templates(objects)]


def effective(template: Obj, container: Obj, key: str) -> object:
    """A security setting as the kubelet applies it: the container's, else the pod's."""
    own = container.get("securityContext", {})
    return own[key] if key in own else template["spec"].get("securityContext", {}).get(key)


@pytest.fixture(params=OVERLAYS)
def overlay(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_workloads_are_the_known_ones(overlay: str) -> None:
    assert {workload for workload, _ in pod_templates(built(overlay))} == WORKLOADS[overlay]


def test_every_container_has_probes_and_resources(overlay: str) -> None:
    for workload, template in pod_templates(built(overlay)):
        for container in containers(template):
            where = f"{overlay} {workload} {container['name']}"
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                assert probe in container, f"{where}: no {probe}"
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) >= {"cpu", "memory"}, where


def test_every_container_is_locked_down(overlay: str) -> None:
    for workload, template in pod_templates(built(overlay)):
        assert template["spec"]["automountServiceAccountToken"] is False, workload
        for container in containers(template):
            where = f"{overlay} {workload} {container['name']}"
            assert effective(template, container, "runAsNonRoot") is True, where
            assert effective(template, container, "seccompProfile") == {"type": "RuntimeDefault"}
            own = container["securityContext"]
            assert own["allowPrivilegeEscalation"] is False, where
            assert own["readOnlyRootFilesystem"] is True, where
            assert own["capabilities"] == {"drop": ["ALL"]}, where


def test_kvapi_runs_as_its_image_user_and_writes_only_to_a_memory_tmp(overlay: str) -> None:
    template = one(built(overlay), "Rollout", "kvapi")["spec"]["template"]
    container = template["spec"]["containers"][0]
    assert effective(template, container, "runAsUser") == 10001
    assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    (tmp,) = template["spec"]["volumes"]
    assert tmp["emptyDir"]["medium"] == "Memory" and tmp["emptyDir"]["sizeLimit"]


def test_kvapi_drains_before_it_stops(overlay: str) -> None:
    objects = built(overlay)
    template = one(objects, "Rollout", "kvapi")["spec"]["template"]
    container = template["spec"]["containers"][0]
    (settings,) = [
        c
        for c in of_kind(objects, "ConfigMap")
        if c["metadata"]["name"].startswith("kvapi-settings")
    ]
    pause = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    drain = int(settings["data"]["KVAPI_GRACEFUL_TIMEOUT_S"])
    assert pause >= 5
    assert template["spec"]["terminationGracePeriodSeconds"] >= pause + drain + 5
    assert int(settings["data"]["KVAPI_KEEPALIVE_S"]) > 60, (
        "must outlive the balancer's idle timeout"
    )
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_images_are_pinned(overlay: str) -> None:
    for workload, template in pod_templates(built(overlay)):
        for container in containers(template):
            image = container["image"]
            name_and_tag = image.split("@")[0].rsplit("/", 1)[-1]
            assert "@sha256:" in image or ":" in name_and_tag, f"{workload}: {image} untagged"
            assert not image.endswith(":latest"), f"{workload}: {image}"


def test_prod_pins_kvapi_by_digest() -> None:
    image = one(built("prod"), "Rollout", "kvapi")["spec"]["template"]["spec"]["containers"][0]
    assert image["image"].startswith("ghcr.io/kvapi-platform/kvapi@sha256:")


def test_every_service_selects_pods(overlay: str) -> None:
    objects = built(overlay)
    for service in of_kind(objects, "Service"):
        selector = service["spec"].get("selector")
        assert selector, f"{service['metadata']['name']} has no selector"
        assert any(selects(selector, labels) for labels in pod_labels(objects)), selector


def test_every_network_policy_selects_pods(overlay: str) -> None:
    objects = built(overlay)
    for policy in of_kind(objects, "NetworkPolicy"):
        selector = policy["spec"]["podSelector"].get("matchLabels", {})
        assert any(selects(selector, labels) for labels in pod_labels(objects)), policy


def test_namespace_denies_all_traffic_by_default(overlay: str) -> None:
    deny = one(built(overlay), "NetworkPolicy", "default-deny-all")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_kvapi_egress_is_redis_dns_and_traces_only(overlay: str) -> None:
    objects = built(overlay)
    kvapi_labels = one(objects, "Rollout", "kvapi")["spec"]["template"]["metadata"]["labels"]
    ports = set()
    for policy in of_kind(objects, "NetworkPolicy"):
        spec = policy["spec"]
        if "Egress" in spec["policyTypes"] and selects(
            spec["podSelector"].get("matchLabels", {}), kvapi_labels
        ):
            ports |= {
                (p["port"], p["protocol"]) for rule in spec.get("egress", []) for p in rule["ports"]
            }
    assert ports == {(6379, "TCP"), (53, "UDP"), (53, "TCP"), (4318, "TCP")}  # 4318: OTLP spans


def test_kvapi_ingress_is_its_port_only(overlay: str) -> None:
    rules = one(built(overlay), "NetworkPolicy", "kvapi-ingress")["spec"]["ingress"]
    assert {p["port"] for rule in rules for p in rule["ports"]} == {8000}
    sources = [peer for rule in rules for peer in rule["from"]]
    assert {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}
    } in sources


def test_no_placeholder_is_left_and_ip_ranges_parse(overlay: str) -> None:
    text = json.dumps(built(overlay))
    assert not [p for p in PLACEHOLDERS if p in text]
    for policy in of_kind(built(overlay), "NetworkPolicy"):
        spec = policy["spec"]
        for rule in spec.get("ingress", []) + spec.get("egress", []):
            for peer in rule.get("from", []) + rule.get("to", []):
                if "ipBlock" in peer:
                    ipaddress.ip_network(peer["ipBlock"]["cidr"])


def test_hpa_targets_the_rollout_with_the_agreed_behaviour(overlay: str) -> None:
    objects = built(overlay)
    rollout = one(objects, "Rollout", "kvapi")
    hpas = of_kind(objects, "HorizontalPodAutoscaler")
    if overlay == "dev":
        assert not hpas and rollout["spec"]["replicas"] == 1
        return
    (hpa,) = hpas
    spec = hpa["spec"]
    assert spec["scaleTargetRef"] == {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "name": "kvapi",
    }
    assert "replicas" not in rollout["spec"], "the HPA owns the replica count"
    assert (spec["minReplicas"], spec["maxReplicas"]) == REPLICA_RANGE[overlay]
    targets = {
        m["resource"]["name"]: m["resource"]["target"]["averageUtilization"]
        for m in spec["metrics"]
    }
    assert targets == {"cpu": 70, "memory": 80}
    up, down = spec["behavior"]["scaleUp"], spec["behavior"]["scaleDown"]
    assert up["stabilizationWindowSeconds"] == 0 and up["selectPolicy"] == "Max"
    assert {(p["type"], p["value"], p["periodSeconds"]) for p in up["policies"]} == {
        ("Percent", 100, 15),
        ("Pods", 4, 15),
    }
    assert down["stabilizationWindowSeconds"] == 300
    assert [(p["type"], p["value"], p["periodSeconds"]) for p in down["policies"]] == [
        ("Percent", 10, 60)
    ]


def test_pdb_matches_the_rollout_pods(overlay: str) -> None:
    objects = built(overlay)
    labels = one(objects, "Rollout", "kvapi")["spec"]["template"]["metadata"]["labels"]
    pdb = one(objects, "PodDisruptionBudget", "kvapi")
    assert selects(pdb["spec"]["selector"]["matchLabels"], labels)


def test_stable_and_canary_services_select_what_the_rollout_manages(overlay: str) -> None:
    objects = built(overlay)
    rollout = one(objects, "Rollout", "kvapi")["spec"]
    labels = rollout["template"]["metadata"]["labels"]
    assert selects(rollout["selector"]["matchLabels"], labels)
    canary = rollout["strategy"]["canary"]
    for role in ("stableService", "canaryService"):
        service = one(objects, "Service", canary[role])
        assert service["spec"]["selector"] == rollout["selector"]["matchLabels"], role
    assert canary["stableService"] != canary["canaryService"]


def test_traffic_routing_is_alb_in_prod_and_replica_weighted_elsewhere(overlay: str) -> None:
    objects = built(overlay)
    canary = one(objects, "Rollout", "kvapi")["spec"]["strategy"]["canary"]
    if overlay != "prod":
        assert "trafficRouting" not in canary and not of_kind(objects, "Ingress")
        return
    alb = canary["trafficRouting"]["alb"]
    ingress = one(objects, "Ingress", alb["ingress"])["spec"]
    assert ingress["tls"] and ingress["ingressClassName"] == "alb"
    backend = ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": canary["stableService"], "port": {"name": "use-annotation"}}


def test_service_monitor_scrapes_each_pod_once(overlay: str) -> None:
    objects = built(overlay)
    monitor = one(objects, "ServiceMonitor", "kvapi")["spec"]
    scraped = [
        s
        for s in of_kind(objects, "Service")
        if selects(monitor["selector"]["matchLabels"], s["metadata"]["labels"])
    ]
    assert [s["metadata"]["name"] for s in scraped] == ["kvapi"]
    assert "rollouts-pod-template-hash" in monitor["podTargetLabels"]


def test_no_kubernetes_api_access(overlay: str) -> None:
    objects = built(overlay)
    assert one(objects, "ServiceAccount", "kvapi")["automountServiceAccountToken"] is False
    assert not [
        o
        for o in objects
        if o["kind"] in {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}
    ]


def test_secrets_come_from_aws_outside_dev(overlay: str) -> None:
    objects = built(overlay)
    if overlay == "dev":
        (secret,) = of_kind(objects, "Secret")
        assert secret["metadata"]["name"] == "kvapi-secrets"
        return
    assert not of_kind(objects, "Secret"), "secrets must never be in the manifests"
    external = one(objects, "ExternalSecret", "kvapi-secrets")["spec"]
    assert external["target"]["name"] == "kvapi-secrets"
    assert {d["remoteRef"]["key"] for d in external["data"]} == {f"kvapi/{overlay}/redis"}
    assert {d["secretKey"] for d in external["data"]} == {
        "KVAPI_REDIS_URL",
        "KVAPI_REDIS_CLUSTER",
        "KVAPI_WRITE_TOKENS",
    }


def test_every_object_lands_in_the_kvapi_namespace(overlay: str) -> None:
    stray = [
        f"{o['kind']}/{o['metadata']['name']}"
        for o in built(overlay)
        if o["kind"] != "Namespace" and o["metadata"].get("namespace") != "kvapi"
    ]
    assert not stray
