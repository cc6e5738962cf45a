"""Redis is monitored in every overlay under the job the rules select (issue 16, section 2).

dev runs redis_exporter beside its in-cluster Redis; staging and prod run it against the
ElastiCache endpoint with the app's own Secret. In every overlay one ServiceMonitor turns it
into job `redis_exporter`, the job of observability/prometheus/prometheus.yml that the Redis
rules and dashboard read.
"""

from __future__ import annotations

import pytest

from tests.deploy.k8s_support import OVERLAYS, Obj, built, of_kind, one, pod_templates, selects
from tests.deploy.monitoring_support import PROMETHEUS_CONFIG, load_yaml

JOB = "redis_exporter"
ELASTICACHE = ("staging", "prod")
PROMETHEUS_PODS = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
}


def relabelled_job(endpoint: Obj) -> str | None:
    replaced = [
        r["replacement"]
        for r in endpoint.get("relabelings", [])
        if r.get("action", "replace") == "replace" and r.get("targetLabel") == "job"
    ]
    return replaced[-1] if replaced else None


def redis_monitor(objects: tuple[Obj, ...]) -> tuple[Obj, Obj]:
    """The one ServiceMonitor endpoint that yields job redis_exporter, and its monitor."""
    found = [
        (monitor, endpoint)
        for monitor in of_kind(objects, "ServiceMonitor")
        for endpoint in monitor["spec"]["endpoints"]
        if relabelled_job(endpoint) == JOB
    ]
    assert len(found) == 1, f"{len(found)} endpoints scraped as job {JOB}"
    return found[0]


def exporter_template(overlay: str) -> Obj:
    return one(built(overlay), "Deployment", "redis-exporter")["spec"]["template"]


def policies_selecting(objects: tuple[Obj, ...], labels: dict[str, str], kind: str) -> list[Obj]:
    return [
        p["spec"]
        for p in of_kind(objects, "NetworkPolicy")
        if kind in p["spec"]["policyTypes"]
        and selects(p["spec"]["podSelector"].get("matchLabels", {}), labels)
    ]


def test_the_rules_job_is_a_job_of_the_prometheus_config() -> None:
    jobs = {job["job_name"] for job in load_yaml(PROMETHEUS_CONFIG)["scrape_configs"]}
    assert JOB in jobs


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_one_exporter_is_scraped_as_job_redis_exporter(overlay: str) -> None:
    objects = built(overlay)
    monitor, endpoint = redis_monitor(objects)
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    (service,) = [
        s
        for s in of_kind(objects, "Service")
        if selects(monitor["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])
    ]
    (port,) = [p for p in service["spec"]["ports"] if p["name"] == endpoint["port"]]
    templates = [
        t
        for _, t in pod_templates(objects)
        if selects(service["spec"]["selector"], t["metadata"]["labels"])
    ]
    assert len(templates) == 1, f"{service['metadata']['name']} selects {len(templates)} workloads"
    exposed = {
        (p["name"], p["containerPort"])
        for c in templates[0]["spec"]["containers"]
        for p in c.get("ports", [])
    }
    assert (port["targetPort"], 9121) in exposed


@pytest.mark.parametrize("overlay", ELASTICACHE)
def test_elasticache_exporter_reads_the_apps_redis_url(overlay: str) -> None:
    objects = built(overlay)
    external = one(objects, "ExternalSecret", "kvapi-secrets")["spec"]
    (container,) = exporter_template(overlay)["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    reference = env["REDIS_ADDR"]["valueFrom"]["secretKeyRef"]
    assert reference == {"name": external["target"]["name"], "key": "KVAPI_REDIS_URL"}
    assert "KVAPI_REDIS_URL" in {d["secretKey"] for d in external["data"]}
    # Below the ServiceMonitor's scrape timeout (10 s by default): Redis down is redis_up 0.
    assert env["REDIS_EXPORTER_CONNECTION_TIMEOUT"]["value"] == "5s"
    assert env["REDIS_EXPORTER_CONFIG_COMMAND"]["value"] == "-"


@pytest.mark.parametrize("overlay", ELASTICACHE)
def test_elasticache_exporter_runs_the_version_dev_and_compose_run(overlay: str) -> None:
    (container,) = exporter_template(overlay)["spec"]["containers"]
    dev = one(built("dev"), "StatefulSet", "kvapi-redis")["spec"]["template"]["spec"]
    (dev_exporter,) = [c for c in dev["containers"] if c["name"] == "redis-exporter"]
    assert container["image"] == dev_exporter["image"] == "oliver006/redis_exporter:v1.78.0"


@pytest.mark.parametrize("overlay", ELASTICACHE)
def test_elasticache_exporter_talks_to_redis_and_dns_and_answers_prometheus_only(
    overlay: str,
) -> None:
    objects = built(overlay)
    labels = exporter_template(overlay)["metadata"]["labels"]
    egress = [
        rule
        for spec in policies_selecting(objects, labels, "Egress")
        for rule in spec.get("egress", [])
    ]
    ports = {(p["port"], p["protocol"]) for rule in egress for p in rule["ports"]}
    assert ports == {(6379, "TCP"), (53, "UDP"), (53, "TCP")}
    kvapi = one(objects, "NetworkPolicy", "kvapi-egress-redis")["spec"]["egress"]
    (redis_rule,) = [rule for rule in egress if rule["ports"][0]["port"] == 6379]
    assert redis_rule["to"] == kvapi[0]["to"], "the exporter reaches Redis where kvapi does"
    ingress = [
        rule
        for spec in policies_selecting(objects, labels, "Ingress")
        for rule in spec.get("ingress", [])
    ]
    assert ingress == [{"from": [PROMETHEUS_PODS], "ports": [{"port": 9121, "protocol": "TCP"}]}]
