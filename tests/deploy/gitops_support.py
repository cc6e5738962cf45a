"""Building deploy/gitops (the Argo CD app of apps) once per test session, for the checks."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

from testbed.tools import REPO
from tests.deploy.k8s_support import Obj, build_overlay_text

GITOPS = REPO / "deploy" / "gitops"
ENVIRONMENTS = ("dev", "staging", "prod")
# What Terraform's root Application points at, per environment (docs/gitops README).
ROOT_PATH = "deploy/gitops/environments/{environment}"
REPO_URL = "https://github.com/kvapi-platform/kvapi.git"
EXACT_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
GENERATED = GITOPS / "generated" / "monitoring-config.yaml"


def build(directory: Path) -> tuple[Obj, ...]:
    return tuple(obj for obj in yaml.safe_load_all(build_overlay_text(directory)) if obj)


@functools.cache
def applications(environment: str) -> dict[str, Obj]:
    """The Applications of one environment, by name."""
    objects = build(GITOPS / "environments" / environment)
    assert all(obj["kind"] == "Application" for obj in objects), "only Applications here"
    return {obj["metadata"]["name"]: obj for obj in objects}


def helm_values(application: Obj) -> Obj:
    return application["spec"]["source"].get("helm", {}).get("valuesObject", {})


def sync_wave(application: Obj) -> int:
    return int(
        application["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", 0)
    )


def grafana_datasources() -> dict[str, Obj]:
    """The Grafana data sources deploy/gitops/generated provisions (ConfigMaps with the
    sidecar's label grafana_datasource), by uid."""
    return {
        source["uid"]: source
        for doc in yaml.safe_load_all(GENERATED.read_text())
        if doc and doc["metadata"].get("labels", {}).get("grafana_datasource") == "1"
        for content in doc["data"].values()
        for source in yaml.safe_load(content)["datasources"]
    }
