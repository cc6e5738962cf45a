"""Paths and loaders shared by the monitoring config checks and the live monitoring test."""

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from testbed.tools import REPO

OBSERVABILITY = REPO / "observability"
PROMETHEUS = OBSERVABILITY / "prometheus"
PROMETHEUS_CONFIG = PROMETHEUS / "prometheus.yml"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.test.yml"))
ALERTMANAGER_CONFIG = OBSERVABILITY / "alertmanager" / "alertmanager.yml"
GRAFANA = OBSERVABILITY / "grafana"
RUNBOOKS = REPO / "docs" / "runbooks"
RUNBOOK_URL = "https://github.com/kvapi-platform/kvapi/blob/main/docs/runbooks/{}.md"
SEVERITY_RECEIVERS = {
    "critical": "pagerduty-critical",
    "warning": "slack-warning",
    "info": "email-info",
}


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def rules() -> list[dict[str, Any]]:
    return [
        rule
        for path in RULE_FILES
        for group in load_yaml(path)["groups"]
        for rule in group["rules"]
    ]


def alerting_rules() -> list[dict[str, Any]]:
    return [rule for rule in rules() if "alert" in rule]


def recording_rules() -> list[dict[str, Any]]:
    return [rule for rule in rules() if "record" in rule]


def dashboards_package() -> ModuleType:
    """The dashboards-as-code package (observability/grafana/kvapi_dashboards)."""
    if str(GRAFANA) not in sys.path:
        sys.path.insert(0, str(GRAFANA))
    return importlib.import_module("kvapi_dashboards")
