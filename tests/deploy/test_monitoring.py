"""Offline checks of observability/: the same promtool and amtool runs as `make check-monitoring`,
plus what those tools cannot see (runbooks, secrets, generated files, dashboards, Loki, Alloy)."""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testbed.tools import REPO, require_binary
from tests.deploy.monitoring_support import (
    ALERTMANAGER_CONFIG,
    GRAFANA,
    OBSERVABILITY,
    PROMETHEUS,
    PROMETHEUS_CONFIG,
    RULE_FILES,
    RULE_TESTS,
    RUNBOOK_URL,
    RUNBOOKS,
    SEVERITY_RECEIVERS,
    alerting_rules,
    dashboards_package,
    load_yaml,
)


def run(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def promtool() -> str:
    return require_binary("promtool", "apt install prometheus")


def amtool() -> str:
    return require_binary("amtool", "apt install prometheus-alertmanager")


# --- Prometheus --------------------------------------------------------------------------------


def test_prometheus_config_is_valid() -> None:
    assert "SUCCESS" in run(promtool(), "check", "config", str(PROMETHEUS_CONFIG))


def test_rule_files_are_valid() -> None:
    assert RULE_FILES
    run(promtool(), "check", "rules", *map(str, RULE_FILES))


def test_rule_unit_tests_pass() -> None:
    assert RULE_TESTS
    output = run(promtool(), "test", "rules", *map(str, RULE_TESTS))
    assert output.count("SUCCESS") == len(RULE_TESTS)


# The dead man's switch heartbeat (rules/meta-alerts.yml): firing is its healthy state, and
# silent only when Prometheus itself is not evaluating, which no rule test can show.
ALWAYS_FIRING = {"Watchdog"}


def test_every_alert_is_unit_tested_firing_and_silent() -> None:
    fired: set[str] = set()
    silent: set[str] = set()
    for path in RULE_TESTS:
        for case in load_yaml(path)["tests"]:
            for check in case.get("alert_rule_test", []):
                (fired if check["exp_alerts"] else silent).add(check["alertname"])
    names = {rule["alert"] for rule in alerting_rules()}
    assert names - fired == set(), "alerts never shown firing"
    assert names - silent == ALWAYS_FIRING, "alerts never shown silent"


def test_every_rule_file_is_unit_tested() -> None:
    tested = {
        (path.parent / rule_file).resolve()
        for path in RULE_TESTS
        for rule_file in load_yaml(path)["rule_files"]
    }
    assert {path.resolve() for path in RULE_FILES} <= tested


def test_rule_files_hold_only_plain_rule_groups() -> None:
    # The Kubernetes PrometheusRule embeds these groups verbatim: nothing else may be in them.
    for path in RULE_FILES:
        content = load_yaml(path)
        assert set(content) == {"groups"}, path
        for group in content["groups"]:
            assert set(group) <= {"name", "interval", "rules"}, (path, group["name"])


@pytest.mark.parametrize("rule", alerting_rules(), ids=lambda rule: rule["alert"])
def test_alert_has_labels_annotations_and_runbook(rule: dict[str, Any]) -> None:
    name = rule["alert"]
    assert rule["labels"]["severity"] in SEVERITY_RECEIVERS
    assert rule["labels"]["service"] == "kvapi"
    assert {"summary", "description", "runbook_url"} <= set(rule["annotations"])
    assert rule["annotations"]["runbook_url"] == RUNBOOK_URL.format(name)
    runbook = RUNBOOKS / f"{name}.md"
    assert runbook.is_file(), f"missing runbook {runbook}"
    text = runbook.read_text()
    for heading in ("## What it means", "## What to check", "## What to do"):
        assert heading in text, f"{runbook} lacks {heading!r}"


def test_every_alert_runbook_belongs_to_an_existing_alert() -> None:
    # Runbooks named like an alert (CamelCase) must not outlive their alert; other runbooks
    # (procedures named in kebab-case by other parts) are not this test's business.
    names = {rule["alert"] for rule in alerting_rules()}
    stems = {path.stem for path in RUNBOOKS.glob("*.md")}
    assert {stem for stem in stems if re.fullmatch(r"[A-Z][A-Za-z0-9]+", stem)} == names


def test_generated_slo_rules_are_current() -> None:
    run(sys.executable, str(PROMETHEUS / "slo_rules.py"), "--check")


def test_every_scrape_job_has_a_targets_file() -> None:
    config = load_yaml(PROMETHEUS_CONFIG)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert {"kvapi", "redis_exporter", "node_exporter", "alertmanager"} <= set(jobs)
    assert config["global"]["scrape_interval"] == config["global"]["evaluation_interval"] == "15s"
    for name, job in jobs.items():
        (files,) = [sd["files"] for sd in job["file_sd_configs"]]
        assert files == [f"targets/{name}.json"]
        (group,) = json.loads((PROMETHEUS / files[0]).read_text())
        assert group["targets"], name


# --- Alertmanager -------------------------------------------------------------------------------


def test_alertmanager_config_is_valid() -> None:
    assert "SUCCESS" in run(amtool(), "check-config", str(ALERTMANAGER_CONFIG))


@pytest.mark.parametrize(("severity", "receiver"), SEVERITY_RECEIVERS.items())
def test_each_severity_reaches_its_receiver(severity: str, receiver: str) -> None:
    output = run(
        amtool(),
        "config",
        "routes",
        "test",
        f"--config.file={ALERTMANAGER_CONFIG}",
        f"--verify.receivers={receiver}",
        f"severity={severity}",
        "service=kvapi",
        "alertname=AnyAlert",
    )
    assert receiver in output


def test_watchdog_is_a_heartbeat_to_the_dead_mans_switch_only() -> None:
    output = run(
        amtool(),
        "config",
        "routes",
        "test",
        f"--config.file={ALERTMANAGER_CONFIG}",
        "--verify.receivers=deadmansswitch",
        "alertname=Watchdog",
        "severity=info",
        "service=kvapi",
    )
    assert output.strip().splitlines()[0] == "deadmansswitch"  # and no other receiver
    (route,) = [
        route
        for route in load_yaml(ALERTMANAGER_CONFIG)["route"]["routes"]
        if route["receiver"] == "deadmansswitch"
    ]
    # Every minute, well inside the 5-minute heartbeat interval documented in the runbook.
    assert route["repeat_interval"] == route["group_interval"] == "1m"
    assert "5 minutes" in (RUNBOOKS / "Watchdog.md").read_text()


def test_a_wrong_receiver_is_detected() -> None:
    # Proves that the check above can fail: amtool exits 1 on a mismatch.
    result = subprocess.run(
        [
            amtool(),
            "config",
            "routes",
            "test",
            f"--config.file={ALERTMANAGER_CONFIG}",
            "--verify.receivers=email-info",
            "severity=critical",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0


def walk(node: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [item for key, value in node.items() for item in walk(value, f"{path}.{key}")]
    if isinstance(node, list):
        return [item for value in node for item in walk(value, path)]
    return [(path, node)]


def test_alertmanager_reads_every_secret_from_a_file() -> None:
    leaves = walk(load_yaml(ALERTMANAGER_CONFIG))
    secret = re.compile(r"[._](api_url|routing_key|service_key|auth_password|auth_secret)$")
    inline = [key for key, _ in leaves if secret.search(key)]
    assert inline == []
    files = {key.rsplit(".", 1)[1] for key, _ in leaves if key.endswith("_file")}
    assert {"slack_api_url_file", "smtp_auth_password_file", "routing_key_file"} <= files


def test_critical_inhibits_warning_of_the_same_service() -> None:
    (rule,) = load_yaml(ALERTMANAGER_CONFIG)["inhibit_rules"]
    assert rule == {
        "source_matchers": ['severity="critical"'],
        "target_matchers": ['severity="warning"'],
        "equal": ["service"],
    }
    assert load_yaml(ALERTMANAGER_CONFIG)["route"]["group_by"] == ["alertname", "service"]


# --- Grafana ------------------------------------------------------------------------------------


def committed_dashboards() -> dict[str, Path]:
    return {path.stem: path for path in (GRAFANA / "dashboards").glob("*.json")}


def test_committed_dashboards_equal_what_the_code_renders() -> None:
    package = dashboards_package()
    from kvapi_dashboards.build import render

    specs = {spec.uid: spec for spec in package.DASHBOARDS}
    assert set(committed_dashboards()) == set(specs)
    for uid, path in committed_dashboards().items():
        assert path.read_text() == render(specs[uid]), f"{path.name} is stale: run make dashboards"


def test_four_dashboards_with_unique_panel_ids_and_variable_datasources() -> None:
    assert len(committed_dashboards()) == 4
    for path in committed_dashboards().values():
        board = json.loads(path.read_text())
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids)), path.name
        for panel in board["panels"]:
            if panel["type"] == "row":
                continue
            assert panel["datasource"]["uid"] in {"${datasource}", "${loki}"}, panel["title"]
            ref_ids = [target["refId"] for target in panel["targets"]]
            assert ref_ids and len(ref_ids) == len(set(ref_ids)), panel["title"]


def test_grafana_provisions_the_four_datasources_and_the_dashboards() -> None:
    provisioning = GRAFANA / "provisioning"
    sources = load_yaml(provisioning / "datasources" / "datasources.yml")["datasources"]
    assert {source["type"] for source in sources} == {
        "prometheus",
        "loki",
        "alertmanager",
        "jaeger",
    }
    (provider,) = load_yaml(provisioning / "dashboards" / "dashboards.yml")["providers"]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"


# --- Loki and Alloy (run for real only in the GitHub workflow) -----------------------------------

LOKI = OBSERVABILITY / "loki"
ALLOY = OBSERVABILITY / "alloy"
LOKI_CONFIGS = {"filesystem": LOKI / "loki-local.yaml", "s3": LOKI / "loki-s3.yaml"}
LOGS_BUCKET_VARIABLES = REPO / "deploy" / "terraform" / "modules" / "logs-bucket" / "variables.tf"


def hours(duration: str) -> int:
    assert duration.endswith("h"), duration
    return int(duration[:-1])


@pytest.mark.parametrize("store", LOKI_CONFIGS)
def test_loki_uses_tsdb_v13_and_compactor_retention(store: str) -> None:
    config = load_yaml(LOKI_CONFIGS[store])
    (period,) = config["schema_config"]["configs"]
    assert (period["store"], period["schema"], period["object_store"]) == ("tsdb", "v13", store)
    assert period["index"]["period"] == "24h"
    assert store in config["common"]["storage"]
    compactor = config["compactor"]
    assert compactor["retention_enabled"] is True
    assert compactor["delete_request_store"] == store
    limits = config["limits_config"]
    assert limits["max_query_lookback"] == limits["retention_period"]
    assert limits["allow_structured_metadata"] is True


def test_loki_configs_differ_only_in_storage_retention_and_data_path() -> None:
    """The data path differs: compose mounts its volume at /loki, the Helm chart at /var/loki."""
    local, s3 = (load_yaml(path) for path in LOKI_CONFIGS.values())
    for config in (local, s3):
        config["common"].pop("storage")
        config["common"].pop("path_prefix")
        config["compactor"].pop("working_directory")
        config["schema_config"]["configs"][0].pop("object_store")
        config["compactor"].pop("delete_request_store")
        for key in ("retention_period", "max_query_lookback"):
            config["limits_config"].pop(key)
    assert local == s3


def terraform_default(name: str) -> int:
    text = LOGS_BUCKET_VARIABLES.read_text()
    match = re.search(rf'variable "{name}" \{{.*?default\s*=\s*(\d+)', text, re.S)
    assert match, f"{name} has no default in {LOGS_BUCKET_VARIABLES}"
    return int(match.group(1))


def test_retention_14_days_hot_90_days_total_matches_the_bucket_lifecycle() -> None:
    if not LOGS_BUCKET_VARIABLES.exists():
        pytest.fail(f"{LOGS_BUCKET_VARIABLES} is missing: the S3 lifecycle defines the archive")
    local = load_yaml(LOKI_CONFIGS["filesystem"])["limits_config"]["retention_period"]
    s3 = load_yaml(LOKI_CONFIGS["s3"])["limits_config"]["retention_period"]
    assert hours(local) == 24 * terraform_default("hot_days") == 14 * 24
    assert hours(s3) == 90 * 24
    # Loki's docs: an object-store lifecycle must not delete before Loki's own retention.
    assert 24 * terraform_default("retention_days") >= hours(s3)


def alloy_blocks(path: Path) -> list[tuple[str, str, str]]:
    """Top-level `kind "name" { body }` blocks of an Alloy file, after a balance check."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', lambda m: m.group(0).replace("//", "::"), path.read_text())
    text = re.sub(r"//[^\n]*", "", text)
    blocks, depth, start, header = [], 0, 0, ""
    for index, char in enumerate(text):
        if char == "{":
            if depth == 0:
                header, start = text[text.rfind("\n", 0, index) + 1 : index].strip(), index
            depth += 1
        elif char == "}":
            depth -= 1
            assert depth >= 0, f"{path.name}: unbalanced braces at {index}"
            if depth == 0:
                match = re.fullmatch(r'([a-z_][a-z0-9_.]*) "([a-z0-9_]+)"', header)
                assert match, f"{path.name}: bad block header {header!r}"
                blocks.append((match.group(1), match.group(2), text[start:index]))
    assert depth == 0, f"{path.name}: unbalanced braces"
    assert text.count("[") == text.count("]") and text.count("(") == text.count(")"), path.name
    return blocks


@pytest.mark.parametrize("source", ["kubernetes.alloy", "docker.alloy"])
def test_alloy_pipeline_is_complete_for_each_source(source: str) -> None:
    blocks = alloy_blocks(ALLOY / "pipeline.alloy") + alloy_blocks(ALLOY / source)
    names = [f"{kind}.{name}" for kind, name, _ in blocks]
    assert len(names) == len(set(names)), "component names must be unique across files"
    bodies = {f"{kind}.{name}": body for kind, name, body in blocks}
    process = bodies["loki.process.json_lines"]
    for stage in ("stage.json", "stage.timestamp", "stage.labels", "stage.structured_metadata"):
        assert stage in process
    assert re.search(r"request_id\s*=.*\n\s*trace_id\s*=", process.split("structured_metadata")[1])
    keep = re.search(r"stage.label_keep \{\s*values = \[(.*?)\]", process, re.S)
    assert keep and sorted(re.findall(r'"(\w+)"', keep.group(1))) == sorted(
        ["service", "level", "namespace", "pod"]
    )
    expected = "loki.source.kubernetes" if source == "kubernetes.alloy" else "loki.source.docker"
    assert any(name.startswith(expected) for name in names)
    # Every reference to another component's export points at a component that exists.
    for body in bodies.values():
        for ref in re.findall(r"\b((?:loki|discovery)\.[a-z_]+\.[a-z_]+)\.[a-z]+\b", body):
            assert ref in names, f"unknown component {ref}"
