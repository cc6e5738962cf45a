"""Building the kustomize overlays of deploy/k8s once per test session, for the k8s checks."""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

from testbed.tools import REPO, require_binary

K8S = REPO / "deploy" / "k8s"
OVERLAYS = ("dev", "staging", "prod")
# The newest minor EKS supports (docs/DESIGN.md "Versions"); deploy/terraform uses the same.
KUBERNETES_VERSION = "1.37"
# API groups served by CRDs, validated against the upstream models (deploy/k8s/validate).
CRD_GROUPS = frozenset({"argoproj.io", "monitoring.coreos.com", "external-secrets.io"})

Obj = dict[str, Any]


def api_group(obj: Obj) -> str:
    api_version: str = obj["apiVersion"]
    return api_version.split("/")[0] if "/" in api_version else ""


def is_custom_resource(obj: Obj) -> bool:
    return api_group(obj) in CRD_GROUPS


def build_overlay_text(overlay_dir: Path) -> str:
    kubectl = require_binary("kubectl", "kubectl >= 1.27 with built-in kustomize")
    result = subprocess.run(
        [kubectl, "kustomize", str(overlay_dir)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"kubectl kustomize {overlay_dir} failed:\n{result.stderr}"
    return result.stdout


@functools.cache
def built(overlay: str) -> tuple[Obj, ...]:
    """The objects `kubectl kustomize overlays/<overlay>` renders.

    Built from a copy of deploy/k8s, where dev's git-ignored secrets.env is made from the
    committed example: the tree itself is never written.
    """
    with tempfile.TemporaryDirectory(prefix="kvapi-k8s-") as tmp:
        copy = Path(tmp) / "k8s"
        shutil.copytree(K8S, copy, ignore=shutil.ignore_patterns("node_modules"))
        example = copy / "overlays" / overlay / "secrets.env.example"
        if example.exists():
            shutil.copy(example, example.with_suffix(""))
        text = build_overlay_text(copy / "overlays" / overlay)
    return tuple(obj for obj in yaml.safe_load_all(text) if obj)


def of_kind(objects: tuple[Obj, ...], kind: str) -> list[Obj]:
    return [obj for obj in objects if obj["kind"] == kind]


def one(objects: tuple[Obj, ...], kind: str, name: str) -> Obj:
    matches = [obj for obj in of_kind(objects, kind) if obj["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def pod_templates(objects: tuple[Obj, ...]) -> list[tuple[str, Obj]]:
    """(kind/name, pod template) of every workload that makes pods."""
    return [
        (f"{obj['kind']}/{obj['metadata']['name']}", obj["spec"]["template"])
        for obj in objects
        if obj["kind"] in {"Rollout", "Deployment", "StatefulSet", "DaemonSet"}
    ]


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())
