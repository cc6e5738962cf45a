"""Seam contracts: what one layer needs, another layer provides (issue 15).

Each check is a function that returns its problems, run on the real tree and, as its negative
test, on a copy of the relevant part with the seam broken, which it must reject:

1. every apiVersion/kind of every rendered overlay and of deploy/gitops is built into the
   target Kubernetes version or comes from the CRDs of a pinned add-on, synced before it;
2. every ServiceAccount that calls AWS (set in the add-on values) has an EKS Pod Identity
   association in deploy/terraform/modules/identities with the same namespace and name;
3. every Secret key a pod reads is produced by its overlay (secretGenerator or ExternalSecret);
4. every `job` selector of the alert rules, recording rules, dashboards and canary analysis is
   produced by the scrape configuration of each environment: compose's prometheus.yml, and on
   Kubernetes the overlay's ServiceMonitors plus kube-prometheus-stack's default jobs and the
   Argo Rollouts controller's ServiceMonitor; the rollout alerts, which select the controller's
   metrics by name only, read metrics of a job scraped in every Kubernetes environment;
5. every namespace, release label and Service name the manifests assume matches the add-ons.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from testbed.tools import REPO
from tests.deploy import terraform_support as tf
from tests.deploy.gitops_support import (
    ENVIRONMENTS,
    applications,
    grafana_datasources,
    helm_values,
    sync_wave,
)
from tests.deploy.k8s_support import KUBERNETES_VERSION, OVERLAYS, Obj, built, of_kind

OBSERVABILITY = REPO / "observability"

# --- 1. kinds -----------------------------------------------------------------------------

# The custom kinds the manifests use, and the add-on (Application) whose chart ships the CRD.
# Argo CD's own kinds come with Argo CD, which Terraform installs before the app of apps.
CRD_PROVIDERS = {
    ("argoproj.io", "Rollout"): "argo-rollouts",
    ("argoproj.io", "AnalysisTemplate"): "argo-rollouts",
    ("monitoring.coreos.com", "ServiceMonitor"): "kube-prometheus-stack",
    ("monitoring.coreos.com", "PrometheusRule"): "kube-prometheus-stack",
    ("external-secrets.io", "ExternalSecret"): "external-secrets",
    ("external-secrets.io", "SecretStore"): "external-secrets",
    ("argoproj.io", "Application"): "argo-cd (Terraform)",
}


def is_builtin(obj: Obj) -> bool:
    probe = {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": {"name": "probe"}}
    try:
        kubernetes_validate.validate(probe, KUBERNETES_VERSION, strict=False)
    except kubernetes_validate.SchemaNotFoundError:
        return False
    except kubernetes_validate.ValidationError:
        return True
    return True


def kind_problems(
    objects: Iterable[Obj], apps: dict[str, Obj], consumer: str | None = None
) -> list[str]:
    """Kinds neither built in nor provided by an add-on synced before CONSUMER."""
    problems = []
    for obj in objects:
        if is_builtin(obj):
            continue
        group = obj["apiVersion"].split("/")[0]
        provider = CRD_PROVIDERS.get((group, obj["kind"]))
        what = f"{obj['apiVersion']} {obj['kind']}/{obj['metadata']['name']}"
        if provider is None:
            problems.append(f"{what}: not in Kubernetes {KUBERNETES_VERSION}, no add-on has it")
        elif provider.endswith("(Terraform)"):
            continue
        elif provider not in apps:
            problems.append(f"{what}: add-on {provider} is not installed")
        elif consumer and sync_wave(apps[provider]) >= sync_wave(apps[consumer]):
            problems.append(f"{what}: {provider} is not synced before {consumer}")
    return problems


def gitops_objects() -> list[Obj]:
    policies = REPO / "deploy/gitops/policies/kvapi-images"
    return [
        doc
        for path in sorted(policies.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_kind_of_an_overlay_is_built_in_or_from_a_pinned_addon(overlay: str) -> None:
    assert kind_problems(built(overlay), applications(overlay), consumer="kvapi") == []


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_kind_of_deploy_gitops_is_built_in_or_from_an_addon(environment: str) -> None:
    apps = applications(environment)
    objects = [*apps.values(), *gitops_objects()]
    assert kind_problems(objects, apps) == []


def test_a_kind_that_no_addon_provides_is_rejected() -> None:
    certificate = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "c"},
    }
    assert kind_problems([certificate], applications("prod"))
    without_eso = {k: v for k, v in applications("prod").items() if k != "external-secrets"}
    assert kind_problems(built("prod"), without_eso, consumer="kvapi")
    late = copy.deepcopy(applications("prod"))
    late["argo-rollouts"]["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] = "5"
    assert kind_problems(built("prod"), late, consumer="kvapi")


# --- 2. AWS identities ---------------------------------------------------------------------

# The add-ons that call AWS, and where their service account is set in their values.
AWS_CALLERS = ("external-secrets", "loki", "aws-load-balancer-controller")


def aws_service_accounts(apps: dict[str, Obj]) -> set[tuple[str, str]]:
    accounts = set()
    for name in AWS_CALLERS:
        values = helm_values(apps[name])
        service_account = values["serviceAccount"]
        assert service_account.get("create", True), f"{name}: the chart must create its account"
        accounts.add((apps[name]["spec"]["destination"]["namespace"], service_account["name"]))
    return accounts


def pod_identity_associations(identities: Path) -> set[tuple[str, str]]:
    """(namespace, service account) pairs modules/identities associates with a role: every
    literal {namespace, service_account} pair of its files (variable defaults, locals, the
    association resources themselves)."""
    pairs = set()
    for path in sorted(identities.glob("*.tf")):
        for value in tf.walk(tf.parse(path)):
            if not (isinstance(value, dict) and {"namespace", "service_account"} <= set(value)):
                continue
            namespace, account = value["namespace"], value["service_account"]
            literal = isinstance(namespace, str) and isinstance(account, str)
            if literal and "${" not in namespace + account:
                pairs.add((namespace, account))
    return pairs


def identity_problems(
    accounts: set[tuple[str, str]], associations: set[tuple[str, str]]
) -> list[str]:
    return [
        f"{namespace}/{account} calls AWS but has no Pod Identity association in Terraform"
        for namespace, account in sorted(accounts - associations)
    ]


IDENTITIES = tf.MODULES / "identities"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_aws_caller_has_a_pod_identity_association(environment: str) -> None:
    """kube-system/aws-load-balancer-controller comes with the Terraform branch of issue 15."""
    accounts = aws_service_accounts(applications(environment))
    assert identity_problems(accounts, pod_identity_associations(IDENTITIES)) == []


def test_a_renamed_service_account_is_rejected(tmp_path: Path) -> None:
    copied = tmp_path / "identities"
    copied.mkdir()
    for path in IDENTITIES.glob("*.tf"):
        text = path.read_text().replace('service_account = "loki"', 'service_account = "loki-s3"')
        (copied / path.name).write_text(text)
    associations = pod_identity_associations(copied)
    assert ("monitoring", "loki-s3") in associations
    assert identity_problems({("monitoring", "loki")}, associations)


# --- 3. Secret keys ------------------------------------------------------------------------


def produced_secret_keys(objects: Iterable[Obj]) -> dict[str, set[str]]:
    """Secret name -> keys, from Secrets (secretGenerator) and ExternalSecrets of the overlay."""
    secrets: dict[str, set[str]] = {}
    for obj in objects:
        if obj["kind"] == "Secret":
            keys = {*obj.get("data", {}), *obj.get("stringData", {})}
            secrets.setdefault(obj["metadata"]["name"], set()).update(keys)
        elif obj["kind"] == "ExternalSecret":
            target = obj["spec"].get("target", {}).get("name", obj["metadata"]["name"])
            keys = {entry["secretKey"] for entry in obj["spec"].get("data", [])}
            secrets.setdefault(target, set()).update(keys)
    return secrets


VARIABLE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def secret_problems(objects: tuple[Obj, ...]) -> list[str]:
    produced = produced_secret_keys(objects)
    problems = []
    for obj in objects:
        if obj["kind"] not in {"Rollout", "Deployment", "StatefulSet", "DaemonSet"}:
            continue
        spec = obj["spec"]["template"]["spec"]
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        for volume in spec.get("volumes", []):
            name = volume.get("secret", {}).get("secretName")
            if name and name not in produced:
                problems.append(f"{where}: volume from Secret {name}, which nothing produces")
        for container in spec.get("initContainers", []) + spec["containers"]:
            from_secrets: set[str] = set()
            for source in container.get("envFrom", []):
                name = source.get("secretRef", {}).get("name")
                if name is None:
                    continue
                if name not in produced:
                    problems.append(f"{where}: envFrom Secret {name}, which nothing produces")
                else:
                    from_secrets |= produced[name]
            defined = {entry["name"] for entry in container.get("env", [])}
            for entry in container.get("env", []):
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if ref and ref["key"] not in produced.get(ref["name"], set()):
                    problems.append(f"{where}: {ref['name']}/{ref['key']} is not produced")
                # $(VAR) in a value: the variable must be defined, here from the Secret.
                for variable in VARIABLE.findall(entry.get("value", "")):
                    if variable not in from_secrets | defined:
                        problems.append(f"{where}: $({variable}) is in no Secret it reads")
    return problems


def app_reads(overlay: str) -> set[str]:
    """The kvapi settings the overlay must provide through its Secret."""
    return {"KVAPI_REDIS_URL", "KVAPI_WRITE_TOKENS"} if overlay != "dev" else {"REDIS_PASSWORD"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_secret_key_a_pod_reads_is_produced_by_its_overlay(overlay: str) -> None:
    objects = built(overlay)
    assert secret_problems(objects) == []
    assert app_reads(overlay) <= produced_secret_keys(objects)["kvapi-secrets"]


def test_a_secret_key_missing_from_the_external_secret_is_rejected() -> None:
    objects = copy.deepcopy(built("prod"))
    (external,) = of_kind(objects, "ExternalSecret")
    external["spec"]["data"] = [
        d for d in external["spec"]["data"] if d["secretKey"] != "KVAPI_REDIS_URL"
    ]
    (rollout,) = of_kind(objects, "Rollout")
    rollout["spec"]["template"]["spec"]["containers"][0].setdefault("env", []).append(
        {
            "name": "URL",
            "valueFrom": {"secretKeyRef": {"name": "kvapi-secrets", "key": "KVAPI_REDIS_URL"}},
        }
    )
    assert secret_problems(objects)
    dev = copy.deepcopy(built("dev"))
    for secret in of_kind(dev, "Secret"):
        secret["data"].pop("REDIS_PASSWORD", None)
    assert secret_problems(dev), "dev's $(REDIS_PASSWORD) must come from its Secret"


# --- 4. job selectors ----------------------------------------------------------------------

SELECTOR = re.compile(r'job(=~|=)"([^"]+)"')
KPS_RELEASE = "kube-prometheus-stack"
# kube-prometheus-stack's jobs under release name kube-prometheus-stack (chart 88.5.3): the
# node exporter by its jobLabel, Prometheus and Alertmanager after their Services.
KPS_DEFAULT_JOBS = {
    "node-exporter",
    f"{KPS_RELEASE}-prometheus",
    f"{KPS_RELEASE}-alertmanager",
    "kube-state-metrics",
    "kubelet",
    "apiserver",
}


def queries() -> Iterator[tuple[str, str]]:
    for path in sorted((OBSERVABILITY / "prometheus" / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                yield f"{path.name}:{rule.get('alert') or rule.get('record')}", rule["expr"]
    for path in sorted((OBSERVABILITY / "grafana" / "dashboards").glob("*.json")):
        for match in re.finditer(r'"expr":\s*("(?:[^"\\]|\\.)*")', path.read_text()):
            yield path.name, json.loads(match.group(1))
    for template in of_kind(built("prod"), "AnalysisTemplate"):
        for metric in template["spec"]["metrics"]:
            yield f"AnalysisTemplate:{metric['name']}", metric["provider"]["prometheus"]["query"]


def compose_jobs() -> set[str]:
    config = yaml.safe_load((OBSERVABILITY / "prometheus" / "prometheus.yml").read_text())
    return {job["job_name"] for job in config["scrape_configs"]}


def service_monitor_jobs(objects: Iterable[Obj]) -> set[str]:
    """The job label each ServiceMonitor endpoint produces: its `job` relabeling, else the
    Service name (the operator's default), read here from the monitor's own name."""
    jobs = set()
    for monitor in (obj for obj in objects if obj["kind"] == "ServiceMonitor"):
        for endpoint in monitor["spec"]["endpoints"]:
            relabeled = [
                r["replacement"]
                for r in endpoint.get("relabelings", [])
                if r.get("targetLabel") == "job" and r.get("action", "replace") == "replace"
            ]
            jobs.update(relabeled or [monitor["metadata"]["name"]])
    return jobs


def rollouts_controller_jobs(apps: dict[str, Obj]) -> set[str]:
    """The job of the Argo Rollouts controller's metrics, when its chart's ServiceMonitor is on
    and Prometheus selects it (argo-helm tag argo-rollouts-2.41.0: templates/controller/
    servicemonitor.yaml scrapes Service <fullname>-metrics, metrics-service.yaml; no job label
    and no honorLabels, so the job is that Service's name)."""
    application = apps.get("argo-rollouts")
    if application is None:
        return set()
    metrics = helm_values(application)["controller"]["metrics"]
    monitor = metrics.get("serviceMonitor", {})
    selected = monitor.get("additionalLabels", {}).get("release") == KPS_RELEASE
    if not (metrics.get("enabled") and monitor.get("enabled") and selected):
        return set()
    release = application["spec"]["source"]["helm"]["releaseName"]
    fullname = release if "argo-rollouts" in release else f"{release}-argo-rollouts"
    return {f"{fullname}-metrics"}


def environment_jobs(environment: str) -> set[str]:
    if environment == "compose":
        return compose_jobs()
    add_ons = rollouts_controller_jobs(applications(environment))
    return service_monitor_jobs(built(environment)) | KPS_DEFAULT_JOBS | add_ons


def selector_problems(
    environment: str, jobs: set[str], found: Iterable[tuple[str, str]]
) -> list[str]:
    problems = []
    for where, expr in found:
        for operator, value in SELECTOR.findall(expr):
            if "$" in value:  # a dashboard variable, resolved by Grafana
                continue
            pattern = re.compile(value if operator == "=~" else re.escape(value))
            matched = {job for job in jobs if pattern.fullmatch(job)}
            wanted = value.split("|") if operator == "=~" else [value]
            missing = [job for job in wanted if re.fullmatch(r"[\w-]+", job) and job not in jobs]
            if operator == "=" and missing:
                problems.append(f"{environment}: {where} selects job={value}, never scraped")
            elif operator == "=~" and not matched:
                problems.append(f"{environment}: {where} selects job=~{value}, none scraped")
    return problems


SCRAPE_ENVIRONMENTS = ("compose", *OVERLAYS)


@pytest.mark.parametrize("environment", SCRAPE_ENVIRONMENTS)
def test_every_job_selector_is_scraped_in_every_environment(environment: str) -> None:
    found = list(queries())
    assert len(found) > 50, "the query collector found too little"
    assert selector_problems(environment, environment_jobs(environment), found) == []


def test_monitoring_target_down_covers_each_environments_monitoring_jobs() -> None:
    """Issue 15, defect 6: every monitoring job of compose and of kube-prometheus-stack."""
    (expr,) = [e for where, e in queries() if where.endswith(":MonitoringTargetDown")]
    (selected,) = [v for op, v in SELECTOR.findall(expr) if op == "=~"]
    monitoring = {"node_exporter", "alertmanager", "prometheus", "redis_exporter"}
    monitoring |= {"node-exporter", f"{KPS_RELEASE}-prometheus", f"{KPS_RELEASE}-alertmanager"}
    assert {job for job in monitoring if re.fullmatch(selected, job)} == monitoring
    assert not re.fullmatch(selected, "kvapi")


def test_a_job_no_environment_scrapes_is_rejected() -> None:
    wrong = [("rule:Test", 'up{job="node_exporter"} == 0')]
    assert selector_problems("prod", environment_jobs("prod"), wrong)
    assert not selector_problems("compose", environment_jobs("compose"), wrong)
    renamed = copy.deepcopy(built("prod"))
    for monitor in of_kind(renamed, "ServiceMonitor"):
        monitor["spec"]["endpoints"][0]["relabelings"][0]["replacement"] = "kvapi-api"
    jobs = service_monitor_jobs(renamed) | KPS_DEFAULT_JOBS
    assert selector_problems("prod", jobs, queries())
    # The overlay's redis_exporter (deploy/k8s/components/elasticache-redis) is the only source
    # of job redis_exporter in prod: without its ServiceMonitor the Redis rules select nothing.
    without_exporter = [
        obj
        for obj in built("prod")
        if (obj["kind"], obj["metadata"]["name"]) != ("ServiceMonitor", "redis-exporter")
    ]
    assert len(without_exporter) == len(built("prod")) - 1
    jobs = service_monitor_jobs(without_exporter) | KPS_DEFAULT_JOBS
    assert any(
        "redis_exporter" in problem for problem in selector_problems("prod", jobs, queries())
    )


# The metrics some rules select by name only (no job selector, which the checks above read),
# and the job that exports them on Kubernetes. rollout-alerts.yml selects by name because the
# rollout's namespace arrives as exported_namespace; the job must still be scraped.
METRIC_JOBS = {
    "rollout_info": "argo-rollouts-metrics",
    "analysis_run_info": "argo-rollouts-metrics",
}
METRIC_NAME = re.compile(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{")


def metric_source_problems(
    environment: str, jobs: set[str], found: Iterable[tuple[str, str]]
) -> list[str]:
    return [
        f"{environment}: {where} reads {metric}, exported by job {METRIC_JOBS[metric]}, "
        "never scraped"
        for where, expr in found
        for metric in set(METRIC_NAME.findall(expr)) & set(METRIC_JOBS)
        if METRIC_JOBS[metric] not in jobs
    ]


def test_every_metric_of_the_rollout_alerts_has_a_known_source() -> None:
    rollout = [(w, e) for w, e in queries() if w.startswith("rollout-alerts.yml:")]
    assert len(rollout) >= 3
    for where, expr in rollout:
        assert not SELECTOR.findall(expr), f"{where}: add its job to the job checks instead"
        assert set(METRIC_NAME.findall(expr)) <= set(METRIC_JOBS), where


@pytest.mark.parametrize("environment", OVERLAYS)
def test_the_controller_metrics_the_rollout_alerts_read_are_scraped(environment: str) -> None:
    jobs = environment_jobs(environment)
    assert "argo-rollouts-metrics" in jobs
    assert metric_source_problems(environment, jobs, queries()) == []


def test_rollout_alerts_without_the_controllers_service_monitor_are_rejected() -> None:
    for change in ({"enabled": False}, {"additionalLabels": {"release": "prometheus"}}):
        apps = copy.deepcopy(applications("prod"))
        helm_values(apps["argo-rollouts"])["controller"]["metrics"]["serviceMonitor"].update(change)
        jobs = (
            service_monitor_jobs(built("prod")) | KPS_DEFAULT_JOBS | rollouts_controller_jobs(apps)
        )
        problems = metric_source_problems("prod", jobs, queries())
        assert len(problems) == 3, (change, problems)


# --- 5. names the manifests assume -----------------------------------------------------------


def service_monitor_values(values: Any) -> Iterator[Obj]:
    """Every `serviceMonitor` block of a chart's values, wherever the chart nests it."""
    if isinstance(values, dict):
        for key, value in values.items():
            if key == "serviceMonitor" and isinstance(value, dict):
                yield value
            else:
                yield from service_monitor_values(value)


def name_problems(
    objects: tuple[Obj, ...], apps: dict[str, Obj], datasources: dict[str, Obj] | None = None
) -> list[str]:
    datasources = datasources or grafana_datasources()
    problems = []
    kps = apps["kube-prometheus-stack"]
    release = kps["spec"]["source"]["helm"]["releaseName"]
    monitoring = kps["spec"]["destination"]["namespace"]
    spec = helm_values(kps)["prometheus"]["prometheusSpec"]
    if not (
        spec["serviceMonitorSelectorNilUsesHelmValues"] and spec["ruleSelectorNilUsesHelmValues"]
    ):
        problems.append("Prometheus does not select by the release label")
    for obj in objects:
        if obj["kind"] in {"ServiceMonitor", "PrometheusRule"}:
            label = obj["metadata"].get("labels", {}).get("release")
            if label != release:
                problems.append(
                    f"{obj['kind']}/{obj['metadata']['name']}: release={label}, not {release}"
                )
        if obj["kind"] == "AnalysisTemplate":
            for metric in obj["spec"]["metrics"]:
                address = metric["provider"]["prometheus"]["address"]
                if address != f"http://prometheus-operated.{monitoring}.svc:9090":
                    problems.append(f"{metric['name']}: {address} is not the operator's Service")
        if obj["kind"] == "NetworkPolicy" and obj["metadata"]["name"] == "kvapi-ingress":
            scrapers = [
                peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                for rule in obj["spec"]["ingress"]
                for peer in rule["from"]
                if "namespaceSelector" in peer
            ]
            if monitoring not in scrapers:
                problems.append(f"kvapi-ingress does not admit Prometheus' namespace {monitoring}")
        if obj["kind"] == "SecretStore" and "auth" in obj["spec"]["provider"]["aws"]:
            problems.append("the SecretStore must use the operator's own (Pod Identity) account")
    for name, application in apps.items():
        for monitor in service_monitor_values(helm_values(application)):
            labels = {**monitor.get("labels", {}), **monitor.get("additionalLabels", {})}
            if monitor.get("enabled") and labels.get("release") != release:
                problems.append(f"{name}'s ServiceMonitor is not labelled release={release}")
    loki = apps["loki"]
    push = next(
        e["value"]
        for e in helm_values(apps["alloy"])["alloy"]["extraEnv"]
        if e["name"] == "LOKI_PUSH_URL"
    )
    expected = f"http://{loki['spec']['source']['helm']['releaseName']}.{loki['spec']['destination']['namespace']}.svc:3100/"
    if not push.startswith(expected):
        problems.append(f"Alloy pushes to {push}, Loki's Service is {expected}")
    if datasources["loki"]["url"] + "/" != expected:
        problems.append(f"Grafana's Loki data source is not Loki's Service {expected}")
    return problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_names_the_manifests_assume_match_the_addons(overlay: str) -> None:
    assert name_problems(built(overlay), applications(overlay)) == []


def test_another_release_name_is_rejected() -> None:
    apps = copy.deepcopy(applications("prod"))
    monitor = helm_values(apps["argo-rollouts"])["controller"]["metrics"]["serviceMonitor"]
    monitor["additionalLabels"] = {"release": "prometheus"}
    assert name_problems(built("prod"), apps) == [
        "argo-rollouts's ServiceMonitor is not labelled release=kube-prometheus-stack"
    ]
    apps = copy.deepcopy(applications("prod"))
    apps["kube-prometheus-stack"]["spec"]["source"]["helm"]["releaseName"] = "monitoring"
    assert len(name_problems(built("prod"), apps)) >= 3
    apps = copy.deepcopy(applications("prod"))
    apps["kube-prometheus-stack"]["spec"]["destination"]["namespace"] = "observability"
    assert name_problems(built("prod"), apps)
    apps = copy.deepcopy(applications("prod"))
    apps["loki"]["spec"]["source"]["helm"]["releaseName"] = "logs"
    assert len(name_problems(built("prod"), apps)) == 2  # Alloy's push URL, Grafana's source
    sources = copy.deepcopy(grafana_datasources())
    sources["loki"]["url"] = "http://loki-gateway.monitoring.svc:80"
    assert name_problems(built("prod"), applications("prod"), sources) == [
        "Grafana's Loki data source is not Loki's Service http://loki.monitoring.svc:3100/"
    ]


@functools.cache
def _terraform_cluster_names() -> dict[str, str]:
    return {env: f"kvapi-{env}" for env in ENVIRONMENTS}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_load_balancer_controller_knows_its_cluster_and_vpc(environment: str) -> None:
    """modules/platform names the cluster and the VPC `kvapi-<environment>`: its local `name`
    goes to modules/cluster (the EKS cluster's name) and modules/network (the VPC module's
    `name`, which terraform-aws-modules/vpc writes as the VPC's Name tag)."""
    platform = tf.MODULES / "platform"
    assert tf.locals_of(platform)["name"] == "kvapi-${var.environment}"
    for module, inner in (("cluster", "eks"), ("network", "vpc")):
        assert tf.module_call(module, platform)["name"] == "${local.name}", module
        assert tf.module_call(inner, tf.MODULES / module)["name"] == "${var.name}", inner
    values: dict[str, Any] = helm_values(applications(environment)["aws-load-balancer-controller"])
    assert values["clusterName"] == _terraform_cluster_names()[environment]
    assert values["vpcTags"] == {"Name": _terraform_cluster_names()[environment]}
