"""checkov finds no failed check in any overlay; every skip carries its reason beside the resource.

checkov knows Deployments but not Argo Rollouts, so each Rollout is scanned as the Deployment
with the same metadata and pod template: the pod-level checks are what matters there.
"""

from __future__ import annotations

import functools
import json
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from testbed.tools import REPO, require_binary
from tests.deploy.k8s_support import OVERLAYS, Obj, built

SKIP_PREFIX = "checkov.io/skip"


def checkov() -> str:
    # checkov lives in its own venv: it conflicts with python-hcl2 and cyclonedx-bom.
    local = REPO / ".venv-checkov" / "bin" / "checkov"
    return str(local) if local.exists() else require_binary("checkov", "the .venv-checkov venv")


def as_scannable(obj: Obj) -> Obj:
    if obj["kind"] != "Rollout":
        return obj
    spec = obj["spec"]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": obj["metadata"],
        "spec": {"selector": spec["selector"], "template": spec["template"]},
    }


@functools.cache
def scan_all_overlays() -> dict:
    """One checkov run over every overlay (its start-up is most of its time)."""
    with tempfile.TemporaryDirectory(prefix="kvapi-checkov-") as tmp:
        for overlay in OVERLAYS:
            manifests = [as_scannable(obj) for obj in built(overlay)]
            (Path(tmp) / f"{overlay}.yaml").write_text(yaml.safe_dump_all(manifests))
        result = subprocess.run(
            [
                checkov(),
                "-d",
                tmp,
                "--framework",
                "kubernetes",
                "--skip-download",
                "--compact",
                "-o",
                "json",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    assert result.stdout.strip(), result.stderr
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report


def checks(outcome: str, overlay: str) -> list[dict]:
    return [
        check
        for check in scan_all_overlays()["results"][f"{outcome}_checks"]
        if Path(check["file_path"]).name == f"{overlay}.yaml"
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_checkov_reports_no_failed_check(overlay: str) -> None:
    failed = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}" for c in checks("failed", overlay)
    ]
    assert not failed, "\n".join(failed)
    assert len(checks("passed", overlay)) > 50, "checkov scanned (almost) nothing"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_skip_says_why(overlay: str) -> None:
    for obj in built(overlay):
        for key, value in obj["metadata"].get("annotations", {}).items():
            if key.startswith(SKIP_PREFIX):
                check, _, reason = value.partition("=")
                assert check.startswith("CKV_K8S_") and len(reason.split()) >= 5, (key, value)
