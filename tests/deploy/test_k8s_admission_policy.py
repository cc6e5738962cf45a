"""The ValidatingAdmissionPolicy of namespace kvapi admits only our image, pinned by digest.

deploy/gitops/policies/kvapi-images holds the policy and its binding. No API server runs here,
so its CEL expressions are evaluated by a real CEL implementation (cel-python) the way the API
server evaluates them: the variables in order, then each validation, against Pods and Rollouts
shaped as the API server sees them, including the kvapi Rollout every overlay renders with the
digest CD writes. cel-python lacks the Kubernetes strings library, so its `join` is supplied
here, as Kubernetes defines it (list<string>.join(separator)).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import celpy
import kubernetes_validate
import pytest
from celpy import celtypes

from testbed.tools import REPO
from tests.deploy.gitops_support import applications
from tests.deploy.k8s_support import KUBERNETES_VERSION, OVERLAYS, Obj, built, of_kind

POLICY_DIR = REPO / "deploy" / "gitops" / "policies" / "kvapi-images"
REPOSITORY = "ghcr.io/kvapi-platform/kvapi"
DIGEST = "sha256:" + "3f" * 32


def documents() -> dict[str, Obj]:
    import yaml

    objects = [
        doc
        for path in sorted(POLICY_DIR.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]
    return {obj["kind"]: obj for obj in objects}


POLICY = documents()["ValidatingAdmissionPolicy"]
BINDING = documents()["ValidatingAdmissionPolicyBinding"]


def kubernetes_join(
    items: celtypes.ListType, separator: celtypes.StringType
) -> celtypes.StringType:
    return celtypes.StringType(str(separator).join(str(item) for item in items))


FUNCTIONS: dict[str, Callable[..., Any]] = {"join": kubernetes_join}


def evaluate(expression: str, activation: dict[str, Any]) -> Any:
    environment = celpy.Environment()
    program = environment.program(environment.compile(expression), functions=FUNCTIONS)
    return program.evaluate(activation)


def admit(obj: Obj, policy: Obj = POLICY) -> tuple[bool, list[str]]:
    """(allowed, messages) as the API server decides for `obj` under `policy`."""
    variables: dict[str, Any] = {}
    for variable in policy["spec"].get("variables", []):
        activation = {"object": celpy.json_to_cel(obj), "variables": celtypes.MapType(variables)}
        variables[celtypes.StringType(variable["name"])] = evaluate(
            variable["expression"], activation
        )
    activation = {"object": celpy.json_to_cel(obj), "variables": celtypes.MapType(variables)}
    messages = []
    for validation in policy["spec"]["validations"]:
        if not bool(evaluate(validation["expression"], activation)):
            messages.append(str(evaluate(validation["messageExpression"], activation)))
    return not messages, messages


def pod(*images: str, init: tuple[str, ...] = ()) -> Obj:
    spec: Obj = {
        "containers": [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]
    }
    if init:
        spec["initContainers"] = [{"name": f"i{i}", "image": image} for i, image in enumerate(init)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}


def rollout(*images: str) -> Obj:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "kvapi"},
        "spec": {"template": {"spec": pod(*images)["spec"]}},
    }


GOOD = [f"{REPOSITORY}@{DIGEST}", f"{REPOSITORY}:1.2.3@{DIGEST}"]
BAD = {
    "tag only": f"{REPOSITORY}:1.2.3",
    "no tag, no digest": REPOSITORY,
    "latest": f"{REPOSITORY}:latest",
    "other registry": f"docker.io/kvapi-platform/kvapi@{DIGEST}",
    "other owner": f"ghcr.io/someone-else/kvapi@{DIGEST}",
    "look-alike name": f"ghcr.io/kvapi-platform/kvapi-debug@{DIGEST}",
    "look-alike host": f"ghcr.io.evil.example/kvapi-platform/kvapi@{DIGEST}",
    "short digest": f"{REPOSITORY}@sha256:abc",
    "other algorithm": f"{REPOSITORY}@sha512:{'ab' * 64}",
    "third-party image": "redis:8.2.2-alpine",
}


@pytest.mark.parametrize("image", GOOD)
@pytest.mark.parametrize("make", [pod, rollout], ids=["Pod", "Rollout"])
def test_our_image_by_digest_is_admitted(make: Callable[..., Obj], image: str) -> None:
    assert admit(make(image)) == (True, [])


@pytest.mark.parametrize("image", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("make", [pod, rollout], ids=["Pod", "Rollout"])
def test_other_images_are_refused_with_their_name(make: Callable[..., Obj], image: str) -> None:
    allowed, messages = admit(make(image))
    assert not allowed
    assert messages == [
        f"namespace kvapi runs only {REPOSITORY} pinned by digest (@sha256:...), got: {image}"
    ]


def test_one_bad_container_among_good_ones_refuses_the_pod() -> None:
    assert not admit(pod(GOOD[0], init=(BAD["tag only"],)))[0]
    assert not admit(pod(GOOD[0], BAD["other registry"]))[0]
    ephemeral = pod(GOOD[0])
    ephemeral["spec"]["ephemeralContainers"] = [{"name": "debug", "image": "busybox"}]
    assert not admit(ephemeral)[0]


def test_a_cronjob_is_judged_by_its_job_template() -> None:
    cronjob = {
        "kind": "CronJob",
        "spec": {"jobTemplate": {"spec": {"template": {"spec": pod("busybox")["spec"]}}}},
    }
    assert not admit(cronjob)[0]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_kvapi_rollout_of_every_overlay_is_admitted(overlay: str) -> None:
    """What Argo CD applies: the overlay as committed, with the digest CD writes into git."""
    (kvapi,) = of_kind(built(overlay), "Rollout")
    assert admit(kvapi) == (True, [])


def test_dev_redis_is_refused_so_the_dev_binding_exempts_exactly_it() -> None:
    """dev's in-cluster Redis runs third-party images in namespace kvapi: the dev environment
    leaves pods labelled component=redis out of the binding (deploy/gitops/environments/dev)."""
    (redis,) = of_kind(built("dev"), "StatefulSet")
    assert not admit(redis)[0]
    assert redis["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"] == "redis"
    dev = (REPO / "deploy" / "gitops" / "environments" / "dev" / "kustomization.yaml").read_text()
    assert 'values: ["redis"]' in dev
    for environment in ("staging", "prod"):
        text = REPO / "deploy" / "gitops" / "environments" / environment / "kustomization.yaml"
        assert "objectSelector" not in text.read_text(), environment


def test_a_policy_that_admits_tags_would_fail_this_suite() -> None:
    """The negative test: loosening the digest requirement is caught."""
    loose = copy.deepcopy(POLICY)
    (refused,) = [v for v in loose["spec"]["variables"] if v["name"] == "refused"]
    refused["expression"] = refused["expression"].replace("@sha256:[0-9a-f]{64}$", "([:@].*)?$")
    assert admit(pod(BAD["tag only"]), loose)[0], "the loosened copy should admit a tag"


def test_policy_covers_every_kind_that_makes_pods_and_the_binding_denies_in_kvapi() -> None:
    rules = POLICY["spec"]["matchConstraints"]["resourceRules"]
    resources = {
        (group, resource) for r in rules for group in r["apiGroups"] for resource in r["resources"]
    }
    assert {("", "pods"), ("argoproj.io", "rollouts"), ("apps", "deployments")} <= resources
    assert all(set(r["operations"]) == {"CREATE", "UPDATE"} for r in rules)
    assert POLICY["spec"]["failurePolicy"] == "Fail"
    assert BINDING["spec"]["policyName"] == POLICY["metadata"]["name"]
    assert "Deny" in BINDING["spec"]["validationActions"]
    assert BINDING["spec"]["matchResources"]["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "kvapi"}
    }


@pytest.mark.parametrize("kind", ["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"])
def test_policy_objects_are_valid_for_the_target_version(kind: str) -> None:
    """admissionregistration.k8s.io/v1 is built into the clusters' Kubernetes (GA in 1.30)."""
    kubernetes_validate.validate(documents()[kind], KUBERNETES_VERSION, strict=True)


def test_the_registry_is_the_one_the_overlays_deploy() -> None:
    for overlay in OVERLAYS:
        (kvapi,) = of_kind(built(overlay), "Rollout")
        image = kvapi["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image.startswith(f"{REPOSITORY}@sha256:"), f"{overlay}: {image}"


# --- every workload an overlay runs in namespace kvapi, under its environment's binding ------

WORKLOADS = {"Pod", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Rollout"}
EXPORTER_IMAGE = "oliver006/redis_exporter:v1.78.0"


def object_selector(environment: str) -> Obj:
    """The binding's objectSelector in ENVIRONMENT: the committed one, or the one the
    environment's kvapi-admission Application patches in."""
    import yaml

    source = applications(environment)["kvapi-admission"]["spec"]["source"]
    for patch in source.get("kustomize", {}).get("patches", []):
        for operation in yaml.safe_load(patch["patch"]):
            if operation["path"] == "/spec/matchResources/objectSelector":
                return dict(operation["value"])
    return dict(BINDING["spec"]["matchResources"].get("objectSelector", {}))


def selects(selector: Obj, labels: dict[str, str]) -> bool:
    matched = all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())
    for expression in selector.get("matchExpressions", []):
        value, values = labels.get(expression["key"]), expression.get("values", [])
        matched &= {
            "In": value in values,
            "NotIn": value not in values,
            "Exists": value is not None,
            "DoesNotExist": value is None,
        }[expression["operator"]]
    return matched


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_of_every_overlay_is_admitted_under_its_binding(overlay: str) -> None:
    """What Argo CD applies in namespace kvapi, each workload the binding selects (dev leaves
    its Redis out), must pass the policy: staging's and prod's redis_exporter included."""
    selector = object_selector(overlay)
    judged = [
        obj
        for obj in built(overlay)
        if obj["kind"] in WORKLOADS and selects(selector, obj["metadata"].get("labels", {}))
    ]
    assert {"Rollout"} <= {obj["kind"] for obj in judged}
    if overlay != "dev":
        assert any(obj["metadata"]["name"] == "redis-exporter" for obj in judged)
    refused = {obj["metadata"]["name"]: admit(obj)[1] for obj in judged if not admit(obj)[0]}
    assert refused == {}


def labelled_exporter(*images: str) -> Obj:
    exporter = pod(*images)
    exporter["metadata"]["labels"] = {"app.kubernetes.io/name": "redis-exporter"}
    return exporter


def test_the_exporter_exception_is_that_image_on_exporter_pods_only() -> None:
    assert admit(labelled_exporter(EXPORTER_IMAGE))[0]
    assert admit(labelled_exporter(EXPORTER_IMAGE, GOOD[0]))[0]
    assert not admit(pod(EXPORTER_IMAGE))[0], "the image alone, without the label"
    allowed, messages = admit(labelled_exporter("oliver006/redis_exporter:v1.79.0"))
    assert not allowed and "oliver006/redis_exporter:v1.79.0" in messages[0]
    assert not admit(labelled_exporter(BAD["third-party image"]))[0]
    for overlay in ("staging", "prod"):
        (deployment,) = [
            obj
            for obj in built(overlay)
            if (obj["kind"], obj["metadata"]["name"]) == ("Deployment", "redis-exporter")
        ]
        images = [c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]]
        assert images == [EXPORTER_IMAGE], "the policy's exception names the overlays' image"
