"""CD releases through git: verify the image, then write its digest, then wait for Argo CD.

The order is the security property: cd.yml's release jobs write a digest into
deploy/k8s/overlays/<env> only after `cosign verify` accepted the signature of that same
image@digest from cd.yml on main. Checked on the parsed workflow and composite action, with a
broken copy that must be rejected. `release.py pin` is run on copies of the real overlays and
rendered with the real `kubectl kustomize`; `release.py await`'s decision is checked on commit
histories and statuses shaped as the GitHub REST API returns them.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from testbed.tools import REPO, require_binary

WORKFLOW = REPO / ".github" / "workflows" / "cd.yml"
RELEASE_ACTION = REPO / ".github" / "actions" / "release" / "action.yml"
IMAGE = "ghcr.io/kvapi-platform/kvapi"
DIGEST = "sha256:" + "5e" * 32
ENVIRONMENTS = {"dev": "dev", "staging": "staging", "production": "prod"}


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("release", REPO / ".github/scripts/release.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["release"] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


release = load_script()
Doc = dict[str, Any]


def load(path: Path) -> Doc:
    document = yaml.safe_load(path.read_text())
    assert isinstance(document, dict)
    return document


# --- verify before write -----------------------------------------------------------------


def verify_then_write_problems(action: Doc) -> list[str]:
    """What is wrong with the order and the subject of the release action's steps."""
    steps = action["runs"]["steps"]
    verify = [i for i, step in enumerate(steps) if "cosign verify" in step.get("run", "")]
    write = [i for i, step in enumerate(steps) if "release-commit" in step.get("run", "")]
    if len(verify) != 1 or len(write) != 1:
        return [f"expected one cosign verify and one release-commit step: {verify}, {write}"]
    problems = []
    if not verify[0] < write[0]:
        problems.append("the digest is written before the signature is verified")
    subject = {"IMAGE": "${{ inputs.image }}", "DIGEST": "${{ inputs.digest }}"}
    for index in (verify[0], write[0]):
        env = steps[index].get("env", {})
        if {key: env.get(key) for key in subject} != subject:
            problems.append(f"step {steps[index].get('name')} is not about inputs.image@digest")
    if "${IMAGE}@${DIGEST}" not in steps[verify[0]]["run"]:
        problems.append("cosign verify does not verify IMAGE@DIGEST")
    if '"${IMAGE}@${DIGEST}"' not in steps[write[0]]["run"]:
        problems.append("release-commit does not write IMAGE@DIGEST")
    script = steps[verify[0]]
    if not script["env"]["IDENTITY"].endswith("/.github/workflows/cd.yml@refs/heads/main"):
        problems.append(f"certificate identity is not cd.yml on main: {script['env']['IDENTITY']}")
    if "--certificate-oidc-issuer https://token.actions.githubusercontent.com" not in script["run"]:
        problems.append("the OIDC issuer is not GitHub's")
    return problems


def test_the_signature_is_verified_before_the_digest_is_written() -> None:
    assert verify_then_write_problems(load(RELEASE_ACTION)) == []


def test_a_write_before_the_verification_is_caught() -> None:
    action = load(RELEASE_ACTION)
    steps = action["runs"]["steps"]
    (verify,) = [s for s in steps if "cosign verify" in s.get("run", "")]
    (write,) = [s for s in steps if "release-commit" in s.get("run", "")]
    swapped = copy.deepcopy(action)
    swapped_steps = swapped["runs"]["steps"]
    i, j = steps.index(verify), steps.index(write)
    swapped_steps[i], swapped_steps[j] = swapped_steps[j], swapped_steps[i]
    assert "the digest is written before the signature is verified" in verify_then_write_problems(
        swapped
    )
    other = copy.deepcopy(action)
    (other_write,) = [s for s in other["runs"]["steps"] if "release-commit" in s.get("run", "")]
    other_write["env"]["DIGEST"] = "${{ inputs.other-digest }}"
    assert verify_then_write_problems(other)


def release_jobs() -> dict[str, Doc]:
    jobs = load(WORKFLOW)["jobs"]
    return {name: jobs[name] for name in ENVIRONMENTS}


def test_each_environment_releases_the_built_digest_to_its_overlay() -> None:
    for job_name, overlay in ENVIRONMENTS.items():
        job = release_jobs()[job_name]
        (step,) = [s for s in job["steps"] if s.get("uses") == "$/.github/actions/release"]
        assert step["with"]["overlay"] == f"deploy/k8s/overlays/{overlay}"
        assert step["with"]["image"] == "${{ needs.build.outputs.image }}"
        assert step["with"]["digest"] == "${{ needs.build.outputs.digest }}"
        assert job["environment"]["name"] == job_name
        assert (REPO / "deploy/k8s/overlays" / overlay / "kustomization.yaml").is_file()


def test_promotion_goes_dev_staging_performance_production() -> None:
    jobs = load(WORKFLOW)["jobs"]
    assert "build" in jobs["dev"]["needs"]
    assert "dev" in jobs["staging"]["needs"]
    assert jobs["performance"]["needs"] == "staging"
    assert "performance" in jobs["production"]["needs"]


def test_no_job_reaches_the_cluster_or_assumes_an_aws_role() -> None:
    texts = [WORKFLOW.read_text(), RELEASE_ACTION.read_text()]
    for text in texts:
        for forbidden in ("kubectl", "update-kubeconfig", "configure-aws-credentials", "aws eks"):
            assert forbidden not in text, forbidden
    for name, job in load(WORKFLOW)["jobs"].items():
        assert "id-token" not in job["permissions"] or name == "build", name


# --- concurrency and the outcome (issue 15, defect 7) ------------------------------------


def concurrency_group(event: str, ref: str) -> str:
    """The workflow's group expression, evaluated for one event (its only form is checked)."""
    expression = load(WORKFLOW)["concurrency"]["group"]
    assert expression == "cd-${{ github.event_name == 'push' && github.ref || 'performance' }}"
    return f"cd-{ref if event == 'push' else 'performance'}"


def test_nightly_and_manual_runs_never_share_a_group_with_a_release() -> None:
    release = concurrency_group("push", "refs/heads/main")
    assert concurrency_group("schedule", "refs/heads/main") != release
    assert concurrency_group("workflow_dispatch", "refs/heads/main") != release
    assert concurrency_group("push", "refs/tags/v1.2.3") != release
    assert load(WORKFLOW)["concurrency"]["cancel-in-progress"] is False


def outcome(results: dict[str, str]) -> str:
    """What the notify job reports, by running its own jq filter."""
    jq = require_binary("jq", "apt-get install jq")
    script = load(WORKFLOW)["jobs"]["notify"]["steps"][0]["run"]
    (line,) = [line for line in script.splitlines() if line.strip().startswith("failed=$(jq")]
    program = line.split("jq -r '", 1)[1].rsplit("'", 1)[0]
    needs = json.dumps({job: {"result": result} for job, result in results.items()})
    counted = subprocess.run(
        [jq, "-r", program], input=needs, capture_output=True, text=True, check=True
    )
    return "succeeded" if counted.stdout.strip() == "0" else "FAILED"


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ({"build": "success", "dev": "success", "production": "success"}, "succeeded"),
        ({"build": "skipped", "dev": "skipped", "performance": "success"}, "succeeded"),
        ({"build": "success", "dev": "success", "production": "cancelled"}, "FAILED"),
        ({"build": "success", "dev": "failure", "production": "skipped"}, "FAILED"),
    ],
)
def test_notify_reports_cancelled_runs_as_not_successful(
    results: dict[str, str], expected: str
) -> None:
    assert outcome(results) == expected


# --- release.py pin ----------------------------------------------------------------------


@pytest.fixture
def overlays(tmp_path: Path) -> Path:
    copied = tmp_path / "k8s"
    shutil.copytree(REPO / "deploy" / "k8s", copied, ignore=shutil.ignore_patterns("node_modules"))
    dev = copied / "overlays" / "dev"
    shutil.copy(dev / "secrets.env.example", dev / "secrets.env")
    return copied


def rendered_images(overlay: Path) -> set[str]:
    kubectl = require_binary("kubectl", "kubectl with its built-in kustomize")
    text = subprocess.run(
        [kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=True
    ).stdout
    return {
        container["image"]
        for doc in yaml.safe_load_all(text)
        if doc and doc["kind"] == "Rollout"
        for container in doc["spec"]["template"]["spec"]["containers"]
    }


@pytest.mark.parametrize("overlay", sorted(set(ENVIRONMENTS.values())))
def test_pin_writes_the_digest_and_nothing_else(overlays: Path, overlay: str) -> None:
    directory = overlays / "overlays" / overlay
    before = (directory / "kustomization.yaml").read_text()
    assert release.pin(directory, release.Image.parse(f"{IMAGE}@{DIGEST}")) is True
    after = (directory / "kustomization.yaml").read_text()
    changed = [
        (old, new)
        for old, new in zip(before.splitlines(), after.splitlines(), strict=True)
        if old != new
    ]
    assert len(changed) == 1 and changed[0][1].strip() == f"digest: {DIGEST}"
    assert rendered_images(directory) == {f"{IMAGE}@{DIGEST}"}
    assert release.pin(directory, release.Image.parse(f"{IMAGE}@{DIGEST}")) is False


def test_pin_refuses_an_image_the_overlay_does_not_deploy(overlays: Path) -> None:
    with pytest.raises(SystemExit, match="expected one `images:` entry"):
        release.pin(
            overlays / "overlays" / "prod", release.Image.parse(f"ghcr.io/other/kvapi@{DIGEST}")
        )


@pytest.mark.parametrize("reference", [f"{IMAGE}:1.2.3", f"{IMAGE}@sha256:abc", IMAGE])
def test_only_a_full_digest_is_released(reference: str) -> None:
    with pytest.raises(SystemExit, match="repository@sha256"):
        release.Image.parse(reference)


# --- release.py await --------------------------------------------------------------------

OURS, LATER, EARLIER = "a" * 40, "b" * 40, "c" * 40
CONTEXT = release.status_context("deploy/k8s/overlays/prod")


def statuses(by_commit: dict[str, list[tuple[str, str]]]) -> Any:
    return lambda sha: [
        {"context": context, "state": state, "description": ""}
        for context, state in by_commit.get(sha, [])
    ]


@pytest.mark.parametrize(
    ("reports", "state"),
    [
        ({}, "wait"),
        ({OURS: [(CONTEXT, "success")]}, "success"),
        ({OURS: [(CONTEXT, "failure")]}, "failed"),
        ({OURS: [(CONTEXT, "pending")]}, "wait"),
        # newest first: a later failure after an earlier success is what counts
        ({OURS: [(CONTEXT, "failure"), (CONTEXT, "success")]}, "failed"),
        ({LATER: [(CONTEXT, "success")], OURS: [(CONTEXT, "failure")]}, "success"),
        ({OURS: [("argocd: deploy/k8s/overlays/staging", "success")]}, "wait"),
        ({EARLIER: [(CONTEXT, "success")]}, "wait"),  # before our commit: says nothing of it
    ],
)
def test_await_decides_from_the_newest_report_on_our_commit_or_later(
    reports: dict[str, list[tuple[str, str]]], state: str
) -> None:
    assert release.verdict([LATER, OURS, EARLIER], OURS, statuses(reports), CONTEXT)[0] == state


def test_await_fails_when_the_commit_is_not_on_main() -> None:
    assert release.verdict([LATER, EARLIER], OURS, statuses({}), CONTEXT)[0] == "failed"


def test_the_status_context_is_the_one_argo_cd_notifications_write() -> None:
    values = load(REPO / "deploy" / "gitops" / "argocd" / "values.yaml")
    for name, template in values["notifications"]["templates"].items():
        label = yaml.safe_load(template)["github"]["status"]["label"]
        assert label == "argocd: {{.app.spec.source.path}}", name
    assert release.status_context("deploy/k8s/overlays/prod") == "argocd: deploy/k8s/overlays/prod"


def notification_problems(values: Doc, application: Doc) -> list[str]:
    """The kvapi Application subscribes to triggers that exist, on the GitHub service, and every
    trigger sends templates that exist and write a GitHub commit status."""
    notifications = values["notifications"]
    templates, triggers = notifications["templates"], notifications["triggers"]
    problems = []
    if "service.github" not in notifications["notifiers"]:
        problems.append("no GitHub notification service")
    annotations = application["metadata"]["annotations"]
    prefix, suffix = "notifications.argoproj.io/subscribe.", ".github"
    subscribed = [
        key.removeprefix(prefix).removesuffix(suffix)
        for key in annotations
        if key.startswith(prefix) and key.endswith(suffix)
    ]
    if not {"on-deployed", "on-health-degraded", "on-sync-failed"} <= set(subscribed):
        problems.append(f"kvapi subscribes to {subscribed} only")
    for trigger in subscribed:
        if f"trigger.{trigger}" not in triggers:
            problems.append(f"kvapi subscribes to {trigger}, which is not defined")
            continue
        for condition in yaml.safe_load(triggers[f"trigger.{trigger}"]):
            for template in condition["send"]:
                if f"template.{template}" not in templates:
                    problems.append(f"{trigger} sends {template}, which is not defined")
                elif "github" not in yaml.safe_load(templates[f"template.{template}"]):
                    problems.append(f"{template} writes no GitHub status")
    return problems


def test_argo_cd_reports_kvapi_back_as_commit_statuses() -> None:
    from tests.deploy.gitops_support import applications

    values = load(REPO / "deploy" / "gitops" / "argocd" / "values.yaml")
    kvapi = applications("prod")["kvapi"]
    assert notification_problems(values, kvapi) == []
    broken = copy.deepcopy(values)
    del broken["notifications"]["templates"]["template.kvapi-status-failure"]
    assert notification_problems(broken, kvapi)
    unsubscribed = copy.deepcopy(kvapi)
    del unsubscribed["metadata"]["annotations"][
        "notifications.argoproj.io/subscribe.on-deployed.github"
    ]
    assert notification_problems(values, unsubscribed)
