""".github/scripts/rollout.py: what the e2e job deploys, and how it judges a rollout.

The rendering runs the real `kubectl kustomize` on copies of the real overlays and proves that
the only difference from what the overlay renders by itself is the kvapi image. The verdicts are
checked against Rollout statuses shaped as Argo Rollouts (argoproj.io/v1alpha1) writes them.
"""

from __future__ import annotations

import copy
import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from testbed.tools import REPO, require_binary

K8S = REPO / "deploy" / "k8s"
OVERLAYS = sorted(path.name for path in (K8S / "overlays").iterdir() if path.is_dir())
DIGEST = "sha256:" + "ab" * 32


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rollout", REPO / ".github/scripts/rollout.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["rollout"] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


rollout = load_script()


@pytest.mark.parametrize(
    ("reference", "name", "tag", "digest"),
    [
        ("ghcr.io/acme/kvapi@" + DIGEST, "ghcr.io/acme/kvapi", None, DIGEST),
        ("ghcr.io/acme/kvapi:1.2.3@" + DIGEST, "ghcr.io/acme/kvapi", "1.2.3", DIGEST),
        ("localhost:5000/kvapi:e2e", "localhost:5000/kvapi", "e2e", None),
        ("kvapi", "kvapi", None, None),
    ],
)
def test_image_references_parse(
    reference: str, name: str, tag: str | None, digest: str | None
) -> None:
    assert rollout.ImageRef.parse(reference) == rollout.ImageRef(name, tag, digest)


def test_an_image_without_tag_or_digest_is_refused() -> None:
    with pytest.raises(ValueError, match="never an implicit latest"):
        rollout.ImageRef.parse("ghcr.io/acme/kvapi").replacing("kvapi")


@pytest.fixture(scope="module")
def overlays(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of deploy/k8s with the dev secrets file made from its committed example."""
    require_binary("kubectl", "kubectl with its built-in kustomize")
    copied = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, copied, ignore=shutil.ignore_patterns("node_modules"))
    dev = copied / "overlays" / "dev"
    if (dev / "secrets.env.example").exists():
        shutil.copy(dev / "secrets.env.example", dev / "secrets.env")
    return copied


def with_app_image(docs: list[dict[str, Any]], image: str) -> list[dict[str, Any]]:
    changed = copy.deepcopy(docs)
    for doc in changed:
        for container in rollout.containers(doc):
            if rollout.ImageRef.parse(container["image"]).is_app:
                container["image"] = image
    return changed


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("image", ["ghcr.io/acme/kvapi@" + DIGEST, "kvapi:e2e"])
def test_render_changes_the_kvapi_image_and_nothing_else(
    overlays: Path, overlay: str, image: str
) -> None:
    directory = overlays / "overlays" / overlay
    original = rollout.kustomize(directory)
    rendered = rollout.render(directory, rollout.ImageRef.parse(image))
    expected = rollout.ImageRef.parse(image).rendered()
    assert rollout.app_images(rendered) == {expected}
    assert rendered == with_app_image(original, expected)
    assert rollout.app_rollout(rendered)["kind"] == "Rollout"


def status(generation: int = 3, **fields: Any) -> dict[str, Any]:
    return {"metadata": {"name": "kvapi", "generation": generation}, "status": fields}


HASH = "6c9b8f7d4"


@pytest.mark.parametrize(
    ("manifest", "state", "reason"),
    [
        (
            status(
                abort=True,
                phase="Degraded",
                observedGeneration="3",
                message="RolloutAborted: Rollout aborted update to revision 4: "
                'Metric "success-rate" assessed Failed',
            ),
            "failed",
            "aborted, traffic back on the stable version",
        ),
        (
            status(generation=4, abort=True, phase="Degraded", observedGeneration="3"),
            "wait",
            "has not seen the new spec",
        ),
        (
            status(phase="Degraded", observedGeneration="3", message="ProgressDeadlineExceeded"),
            "failed",
            "degraded",
        ),
        (
            status(
                generation=4,
                phase="Healthy",
                observedGeneration="3",
                currentPodHash=HASH,
                stableRS=HASH,
            ),
            "wait",
            "has not seen the new spec",
        ),
        (
            status(
                phase="Paused",
                observedGeneration="3",
                currentStepIndex=1,
                message="CanaryPauseStep",
                currentPodHash="new",
                stableRS=HASH,
                canary={"weights": {"canary": {"weight": 10}}},
            ),
            "wait",
            "step 1, canary weight 10",
        ),
        (
            status(
                phase="Progressing", observedGeneration="3", currentPodHash="new", stableRS=HASH
            ),
            "wait",
            "Progressing",
        ),
        (
            status(phase="Healthy", observedGeneration="3", currentPodHash=HASH, stableRS=HASH),
            "done",
            f"revision {HASH} is stable",
        ),
    ],
    ids=[
        "aborted",
        "previous-abort-before-the-new-spec-is-seen",
        "degraded",
        "not-observed",
        "paused-canary",
        "progressing",
        "promoted",
    ],
)
def test_verdict(manifest: dict[str, Any], state: str, reason: str) -> None:
    got_state, got_reason = rollout.verdict(manifest)
    assert got_state == state
    assert reason in got_reason
