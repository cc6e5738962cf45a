"""Every custom resource validates against the schema of its upstream CRD.

The CRD files cannot be downloaded here; the npm models in deploy/k8s/validate are generated
from them (versions pinned in package-lock.json, upstream versions in docs/kubernetes.md).
The models check types, enums and required fields; they do not reject unknown fields
(CRD schemas leave that to the API server's pruning).
"""

from __future__ import annotations

import copy
import json
import subprocess

import pytest

from testbed.tools import require_binary
from tests.deploy.k8s_support import CRD_GROUPS, K8S, OVERLAYS, Obj, api_group, built, of_kind

VALIDATE_DIR = K8S / "validate"
KINDS_EXPECTED = {"Rollout", "AnalysisTemplate", "ServiceMonitor", "PrometheusRule"}


def installed_validator() -> str:
    """Path of node, with the pinned model packages installed by `npm ci` when stale."""
    node = require_binary("node", "Node.js 20+")
    npm = require_binary("npm", "npm, shipped with Node.js")
    lock = VALIDATE_DIR / "package-lock.json"
    installed = VALIDATE_DIR / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=VALIDATE_DIR,
            check=True,
        )
    return node


def validate(objects: list[Obj]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [installed_validator(), "validate-crds.mjs"],
        cwd=VALIDATE_DIR,
        input=json.dumps(objects),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_custom_resources_match_their_crd_schemas(overlay: str) -> None:
    custom = [obj for obj in built(overlay) if api_group(obj) in CRD_GROUPS]
    assert {obj["kind"] for obj in custom} >= KINDS_EXPECTED
    result = validate(custom)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("valid   ") == len(custom)


def test_prod_syncs_its_secret_through_an_external_secret() -> None:
    assert of_kind(built("prod"), "ExternalSecret")


def test_validator_rejects_a_wrong_type() -> None:
    rollout = copy.deepcopy(of_kind(built("prod"), "Rollout")[0])
    rollout["spec"]["strategy"]["canary"]["steps"][0] = {"setWeight": "ten"}
    result = validate([rollout])
    assert result.returncode == 1
    assert "setWeight must be integer" in result.stdout


def test_validator_rejects_an_unknown_api_group() -> None:
    result = validate([{"apiVersion": "example.com/v1", "kind": "Thing", "metadata": {}}])
    assert result.returncode == 1
