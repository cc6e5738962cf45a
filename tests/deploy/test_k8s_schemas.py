"""Every overlay builds, and every built-in object is valid for the target Kubernetes version.

kubernetes-validate checks against the OpenAPI schemas of KUBERNETES_VERSION with strict=True
(unknown fields are errors). A Rollout's pod template is a core PodTemplate inside a custom
resource, so it is checked here too, wrapped in a v1 PodTemplate.
"""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

from tests.deploy.k8s_support import (
    KUBERNETES_VERSION,
    OVERLAYS,
    Obj,
    built,
    is_custom_resource,
    of_kind,
)


def validate_strict(obj: Obj) -> None:
    kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def as_pod_template(rollout: Obj) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "PodTemplate",
        "metadata": {"name": rollout["metadata"]["name"]},
        "template": rollout["spec"]["template"],
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_builds_into_objects(overlay: str) -> None:
    kinds = {obj["kind"] for obj in built(overlay)}
    assert {"Rollout", "Service", "NetworkPolicy", "AnalysisTemplate"} <= kinds


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_builtin_objects_are_valid_for_the_target_version(overlay: str) -> None:
    errors = []
    for obj in built(overlay):
        if is_custom_resource(obj):
            continue
        try:
            validate_strict(obj)
        except kubernetes_validate.ValidationError as error:
            errors.append(f"{obj['kind']}/{obj['metadata']['name']}: {error.message}")
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rollout_pod_templates_are_valid_for_the_target_version(overlay: str) -> None:
    for rollout in of_kind(built(overlay), "Rollout"):
        validate_strict(as_pod_template(rollout))


def test_strict_validation_rejects_an_unknown_field() -> None:
    """Proves the check above can fail: a misspelt field is an error, not silently pruned."""
    rollout = copy.deepcopy(of_kind(built("prod"), "Rollout")[0])
    rollout["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_strict(as_pod_template(rollout))
