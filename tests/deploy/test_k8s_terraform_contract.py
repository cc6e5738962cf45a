"""deploy/k8s and deploy/terraform agree on the values that cross between them (docs/DESIGN.md)."""

from __future__ import annotations

import copy
import ipaddress
import re

import pytest

from testbed.tools import REPO
from tests.deploy.k8s_support import KUBERNETES_VERSION, Obj, built, one

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
    for policy in ("kvapi-egress-redis", "redis-exporter-egress-redis"):
        egress = one(objects, "NetworkPolicy", policy)["spec"]["egress"]
        assert egress[0]["to"] == [{"ipBlock": {"cidr": vpc}}], policy


def public_subnets(vpc: str) -> list[str]:
    """The public subnets deploy/terraform/modules/network carves from the VPC, evaluated from
    its own `cidrsubnet(var.cidr, NEWBITS, OFFSET + i)` over its three zones."""
    text = (REPO / "deploy/terraform/modules/network/main.tf").read_text()
    match = re.search(
        r"public_subnets\s*=\s*\[for i, _ in var\.azs : "
        r"cidrsubnet\(var\.cidr, (\d+), (\d+) \+ i\)\]",
        text,
    )
    assert match, "the public subnet plan of modules/network changed: update this test"
    newbits, offset = int(match.group(1)), int(match.group(2))
    subnets = list(ipaddress.ip_network(vpc).subnets(new_prefix=16 + newbits))
    return [str(subnets[offset + zone]) for zone in range(3)]


def alb_peers(objects: tuple[Obj, ...]) -> list[str]:
    ingress = one(objects, "NetworkPolicy", "kvapi-ingress")["spec"]["ingress"]
    return [peer["ipBlock"]["cidr"] for peer in ingress[0]["from"]]


def test_prod_admits_only_the_alb_subnets() -> None:
    """Issue 15, defect 9: the ALB's public subnets, not the whole VPC."""
    assert alb_peers(built("prod")) == public_subnets(terraform_setting("prod", "vpc_cidr"))
    assert public_subnets("10.30.0.0/16") == ["10.30.48.0/24", "10.30.49.0/24", "10.30.50.0/24"]


def test_the_whole_vpc_as_alb_peer_is_caught() -> None:
    objects = copy.deepcopy(built("prod"))
    policy = one(objects, "NetworkPolicy", "kvapi-ingress")
    policy["spec"]["ingress"][0]["from"] = [{"ipBlock": {"cidr": "10.30.0.0/16"}}]
    assert alb_peers(objects) != public_subnets("10.30.0.0/16")
