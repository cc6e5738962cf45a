"""deploy/gitops: every add-on as an Argo CD Application, pinned, valid, in the right order.

Each environment builds (kubectl kustomize), every Application validates against the model
generated from Argo CD's API types (npm @kubernetes-models/argo-cd, deploy/k8s/validate), every
Helm chart is pinned to an exact version, the sync waves put the add-ons whose CRDs others use
first, kvapi's Application points at its environment's overlay, and the ConfigMaps rendered
from observability/ are up to date.
"""

from __future__ import annotations

import copy
import importlib.util
import re
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from testbed.tools import REPO, require_binary
from tests.deploy.gitops_support import (
    ENVIRONMENTS,
    EXACT_VERSION,
    GITOPS,
    REPO_URL,
    applications,
    helm_values,
    sync_wave,
)
from tests.deploy.k8s_support import Obj, built, of_kind
from tests.deploy.test_k8s_crds import validate

ADDONS = {
    "argo-rollouts",
    "kube-prometheus-stack",
    "external-secrets",
    "aws-load-balancer-controller",
    "loki",
    "alloy",
    "jaeger",
}
# Add-on -> the add-ons whose CRDs or objects it needs first.
NEEDS = {
    "argo-rollouts": {"kube-prometheus-stack"},  # its ServiceMonitor
    "external-secrets": {"kube-prometheus-stack"},
    "aws-load-balancer-controller": {"kube-prometheus-stack"},
    "loki": {"monitoring-config"},  # its configuration
    "alloy": {"monitoring-config"},  # Loki may come later: Alloy retries its pushes
    "jaeger": set(),  # no CRD, no ConfigMap of another add-on
    "kvapi": {
        "argo-rollouts",  # Rollout, AnalysisTemplate
        "kube-prometheus-stack",  # ServiceMonitor, PrometheusRule
        "external-secrets",  # ExternalSecret, SecretStore
        "aws-load-balancer-controller",  # the Ingress of prod
        "kvapi-admission",  # the policy must judge the first pod already
        "jaeger",  # its OTLP endpoint (spans sent before it runs are lost, requests are not)
    },
}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_addon_and_kvapi_has_an_application(environment: str) -> None:
    names = set(applications(environment))
    assert names >= ADDONS | {"kvapi", "kvapi-admission", "monitoring-config"}


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_applications_match_the_argo_cd_schema(environment: str) -> None:
    objects = list(applications(environment).values())
    result = validate(objects)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("valid   ") == len(objects)


def test_the_schema_check_rejects_a_wrong_type() -> None:
    broken = copy.deepcopy(applications("prod")["kvapi"])
    broken["spec"]["syncPolicy"]["automated"]["prune"] = "yes"
    result = validate([broken])
    assert result.returncode == 1, result.stdout


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_every_chart_is_pinned_to_an_exact_version(environment: str) -> None:
    for name, application in applications(environment).items():
        source = application["spec"]["source"]
        if "chart" in source:
            assert EXACT_VERSION.match(str(source["targetRevision"])), (name, source)
            assert source["repoURL"].startswith("https://"), name
        else:
            assert source["repoURL"] == REPO_URL and source["targetRevision"] == "main", name
            assert (REPO / source["path"]).is_dir(), f"{name}: {source['path']} does not exist"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_sync_waves_put_what_others_need_first(environment: str) -> None:
    apps = applications(environment)
    late = [
        f"{name} (wave {sync_wave(apps[name])}) needs {need} (wave {sync_wave(apps[need])})"
        for name, needs in NEEDS.items()
        if name in apps
        for need in needs
        if sync_wave(apps[need]) >= sync_wave(apps[name])
    ]
    assert not late, late


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_kvapi_deploys_its_environment_overlay_from_main(environment: str) -> None:
    source = applications(environment)["kvapi"]["spec"]["source"]
    assert source["path"] == f"deploy/k8s/overlays/{environment}"
    assert (source["repoURL"], source["targetRevision"]) == (REPO_URL, "main")


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_applications_sync_automatically_and_prune(environment: str) -> None:
    for name, application in applications(environment).items():
        automated = application["spec"]["syncPolicy"]["automated"]
        assert automated == {"prune": True, "selfHeal": True}, name


def test_argo_rollouts_exports_its_metrics_to_kube_prometheus_stack() -> None:
    controller = helm_values(applications("prod")["argo-rollouts"])["controller"]
    assert controller["metrics"]["enabled"] is True
    monitor = controller["metrics"]["serviceMonitor"]
    assert monitor["enabled"] is True
    assert monitor["additionalLabels"] == {"release": "kube-prometheus-stack"}


def renderer() -> ModuleType:
    path = GITOPS / "scripts" / "render_configmaps.py"
    spec = importlib.util.spec_from_file_location("render_configmaps", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_configmaps_equal_a_fresh_render() -> None:
    render = renderer()
    assert render.OUTPUT.read_text() == render.render(), "stale: run `make manifests`"


def test_alertmanager_runs_observability_routing_with_the_operators_paths(tmp_path: Path) -> None:
    """kube-prometheus-stack's Alertmanager reads observability/alertmanager's routing from the
    generated Secret; credentials and templates at the paths the operator mounts."""
    import yaml

    render = renderer()
    (secret,) = [
        doc
        for doc in yaml.safe_load_all(render.OUTPUT.read_text())
        if doc and doc["kind"] == "Secret"
    ]
    spec = helm_values(applications("prod")["kube-prometheus-stack"])["alertmanager"][
        "alertmanagerSpec"
    ]
    assert spec["useExistingSecret"] is True
    assert spec["configSecret"] == secret["metadata"]["name"]
    assert spec["secrets"] == [render.RECEIVERS_NAME]
    config = secret["stringData"]["alertmanager.yaml"]
    files = re.findall(r"_file: (\S+)", config)
    assert files and all(
        f.startswith(f"/etc/alertmanager/secrets/{render.RECEIVERS_NAME}/") for f in files
    )
    assert "/etc/alertmanager/config/*.tmpl" in config
    templates = {
        path.name for path in (REPO / "observability/alertmanager/templates").glob("*.tmpl")
    }
    assert templates and templates <= set(secret["stringData"])
    amtool = require_binary("amtool", "apt-get install prometheus-alertmanager")
    (tmp_path / "alertmanager.yaml").write_text(config)
    checked = subprocess.run(
        [amtool, "check-config", str(tmp_path / "alertmanager.yaml")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def heartbeat_problems(values: dict[str, Any], config: str, rules: list[Obj]) -> list[str]:
    """The Watchdog heartbeat on Kubernetes: kvapi's rule, alone, its key where mounted."""
    render = renderer()
    problems = []
    disabled = values.get("defaultRules", {}).get("disabled", {})
    for chart_rule in ("Watchdog", "InfoInhibitor"):
        if disabled.get(chart_rule) is not True:
            problems.append(f"the chart's {chart_rule} is on")
    if render.RECEIVERS_NAME not in values["alertmanager"]["alertmanagerSpec"]["secrets"]:
        problems.append(f"Secret {render.RECEIVERS_NAME} is not mounted")
    key = f"/etc/alertmanager/secrets/{render.RECEIVERS_NAME}/heartbeat-api-key"
    if f"credentials_file: {key}" not in config:
        problems.append(f"the heartbeat's key is not read from {key}")
    watchdogs = [
        rule
        for rule_file in rules
        if rule_file["metadata"]["labels"].get("release") == "kube-prometheus-stack"
        for group in rule_file["spec"]["groups"]
        for rule in group["rules"]
        if rule.get("alert") == "Watchdog"
    ]
    if [rule["expr"] for rule in watchdogs] != ["vector(1)"]:
        problems.append(f"kvapi's PrometheusRules have {len(watchdogs)} always-firing Watchdog")
    return problems


def test_the_heartbeat_comes_from_kvapis_watchdog_alone(tmp_path: Path) -> None:
    import yaml

    values = helm_values(applications("prod")["kube-prometheus-stack"])
    (secret,) = [
        doc
        for doc in yaml.safe_load_all(renderer().OUTPUT.read_text())
        if doc and doc["kind"] == "Secret"
    ]
    config = secret["stringData"]["alertmanager.yaml"]
    rules = of_kind(built("prod"), "PrometheusRule")
    assert heartbeat_problems(values, config, rules) == []
    (tmp_path / "alertmanager.yaml").write_text(config)
    amtool = require_binary("amtool", "apt-get install prometheus-alertmanager")
    route_test = [amtool, "config", "routes", "test", f"--config.file={tmp_path}/alertmanager.yaml"]
    routed = subprocess.run(
        # Its labels as the rule sets them: severity=info must not send it to email-info too.
        [*route_test, "--verify.receivers=deadmansswitch", "alertname=Watchdog", "severity=info"],
        capture_output=True,
        text=True,
    )
    assert routed.returncode == 0, routed.stdout + routed.stderr
    # Negative: the chart's Watchdog back on, the receivers' Secret not mounted, no key file.
    chart_on = copy.deepcopy(values)
    chart_on["defaultRules"]["disabled"] = {"InfoInhibitor": True}
    assert heartbeat_problems(chart_on, config, rules) == ["the chart's Watchdog is on"]
    unmounted = copy.deepcopy(values)
    unmounted["alertmanager"]["alertmanagerSpec"]["secrets"] = []
    assert heartbeat_problems(unmounted, config, rules)
    assert heartbeat_problems(values, config.replace("heartbeat-api-key", "key"), rules)
    assert heartbeat_problems(values, config, [])


def test_generated_configmaps_carry_the_observability_files() -> None:
    import yaml

    maps = {
        doc["metadata"]["name"]: doc
        for doc in yaml.safe_load_all(renderer().OUTPUT.read_text())
        if doc
    }
    loki = (REPO / "observability/loki/loki-s3.yaml").read_text()
    assert maps["loki-config"]["data"]["config.yaml"] == loki
    alloy = maps["alloy-config"]["data"]["config.alloy"]
    for part in ("kubernetes.alloy", "pipeline.alloy"):
        assert (REPO / "observability/alloy" / part).read_text() in alloy
    loki_values = helm_values(applications("prod")["loki"])
    assert loki_values["loki"]["configObjectName"] == "loki-config"
    assert loki_values["loki"]["generatedConfigObjectName"] == ""
    # The chart demands a schema even when it generates no configuration: the same one.
    schema = yaml.safe_load(loki)["schema_config"]
    assert loki_values["loki"]["schemaConfig"] == schema
    for path in sorted((REPO / "observability/grafana/dashboards").glob("*.json")):
        dashboard = maps[f"grafana-dashboard-{path.stem}"]
        assert dashboard["data"] == {path.name: path.read_text()}
        # kube-prometheus-stack 88.5.3's Grafana sidecar: label grafana_dashboard, value "1".
        assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    alloy_values = helm_values(applications("prod")["alloy"])["alloy"]["configMap"]
    assert (alloy_values["name"], alloy_values["key"]) == ("alloy-config", "config.alloy")
