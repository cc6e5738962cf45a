"""deploy/k8s and deploy/terraform agree on the values that cross between them (docs/DESIGN.md)."""

from __future__ import annotations

import re

import pytest

from testbed.tools import REPO
from tests.deploy.k8s_support import KUBERNETES_VERSION, built, one

ENVIRONMENTS = REPO / "deploy" / "terraform" / "environments"


def terraform_setting(environment: str, name: str) -> str:
    text = (ENVIRONMENTS / environment / "environment.tf").read_text()
    match = re.search(rf'^\s*{name}\s*=\s*"([^"]+)"', text, re.MULTILINE)
    assert match, f"{name} not found in environments/{environment}/environment.tf"
    return match.group(1)


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_cluster_version_is_the_validation_target(environment: str) -> None:
    assert terraform_setting(environment, "kubernetes_version") == KUBERNETES_VERSION


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_network_policies_use_the_environment_vpc_range(environment: str) -> None:
    vpc = terraform_setting(environment, "vpc_cidr")
    objects = built(environment)
    egress = one(objects, "NetworkPolicy", "kvapi-egress-redis")["spec"]["egress"]
    assert egress[0]["to"] == [{"ipBlock": {"cidr": vpc}}]
    if environment == "prod":
        ingress = one(objects, "NetworkPolicy", "kvapi-ingress")["spec"]["ingress"]
        assert ingress[0]["from"] == [{"ipBlock": {"cidr": vpc}}]
