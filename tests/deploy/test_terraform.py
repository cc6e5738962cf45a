"""Offline checks of deploy/terraform: formatting, parsing, security and availability invariants.

`terraform init`/`validate` and tflint need the provider registry, which these machines cannot
reach; the GitHub workflow runs them. What is checked here runs without it.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from testbed.tools import REPO, in_ci
from tests.deploy.terraform_docs import readme_with_tables
from tests.deploy.terraform_fmt import unformatted
from tests.deploy.terraform_support import (
    BOOTSTRAP,
    ENVIRONMENTS,
    MODULES,
    TERRAFORM,
    Block,
    Body,
    blocks,
    environment_dir,
    locals_of,
    module_call,
    module_dirs,
    one_resource,
    parse,
    real_tf_files,
    resources,
    terraform_settings,
    walk,
)

REQUIRED_TAGS = {"Project", "Environment", "ManagedBy", "Repository"}
OPEN_CIDRS = {"0.0.0.0/0", "::/0"}


def test_fmt_check_catches_a_misformatted_file(tmp_path: Path) -> None:
    (tmp_path / "bad.tf").write_text('variable "x" {\n  type = string\n    default = "a"\n}\n')
    retcode, listed = unformatted(tmp_path)
    assert retcode != 0 and any(name.endswith("bad.tf") for name in listed)
    assert "    default" in (tmp_path / "bad.tf").read_text(), "the check must not rewrite files"


def test_terraform_fmt_check_passes() -> None:
    retcode, listed = unformatted(TERRAFORM)
    assert retcode == 0 and not listed, f"run terraform fmt -recursive on: {listed}"


@pytest.mark.parametrize("path", real_tf_files(), ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_every_file_parses(path: Path) -> None:
    assert isinstance(parse(path), dict)


GITOPS = TERRAFORM / "gitops"
ROOTS = [
    BOOTSTRAP,
    *(environment_dir(env) for env in ENVIRONMENTS),
    *(GITOPS / env for env in ENVIRONMENTS),
]


# --- versions ------------------------------------------------------------------------------


EXACT = re.compile(r"^\d+\.\d+\.\d+$")


def required_providers(directory: Path) -> dict[str, Body]:
    settings = [s for s in terraform_settings(directory) if "required_version" in s]
    assert len(settings) == 1, f"{directory}: one terraform block with required_version"
    assert settings[0]["required_version"].startswith("~> 1.")
    return {
        name: spec
        for block in settings[0]["required_providers"]
        for name, spec in block.items()
        if name != "__is_block__"
    }


@pytest.mark.parametrize("directory", module_dirs(), ids=lambda d: str(d.relative_to(TERRAFORM)))
def test_roots_pin_providers_exactly_and_modules_by_range(directory: Path) -> None:
    # Roots pin every provider build exactly (no lock file is committed: docs/terraform.md);
    # modules state the range they work with, which the roots' pins must satisfy.
    providers = required_providers(directory)
    assert {"aws"} & set(providers) or {"helm"} & set(providers), directory
    for name, spec in providers.items():
        if directory in ROOTS:
            assert EXACT.match(spec["version"]), f"{directory}: pin provider {name} exactly: {spec}"
        else:
            assert spec["version"].startswith("~> "), f"{directory}: provider {name} {spec}"
    for call in blocks("module", directory):
        source = call.body["source"]
        if source.startswith("../"):
            assert "version" not in call.body, call.where
        else:
            assert EXACT.match(call.body["version"]), f"{call.where}: pin {source} exactly"


def test_every_root_pins_the_providers_its_modules_pull_in() -> None:
    # terraform-aws-modules/eks 21.19.0 requires tls, time, cloudinit and null besides aws: an
    # environment that leaves them out would take whatever version is newest at init.
    wanted = {"aws", "random", "tls", "time", "cloudinit", "null"}
    for env in ENVIRONMENTS:
        assert set(required_providers(environment_dir(env))) == wanted, env
    pins = {root: required_providers(root)["aws"]["version"] for root in ROOTS}
    assert len(set(pins.values())) == 1, f"one aws provider version everywhere: {pins}"


def test_environments_use_the_kubernetes_version_of_the_design() -> None:
    design = (REPO / "docs" / "DESIGN.md").read_text(encoding="utf-8")
    found = re.search(r"Kubernetes \*\*(1\.\d+)\*\*", design)
    assert found, "docs/DESIGN.md names the Kubernetes version under Versions"
    for env in ENVIRONMENTS:
        assert locals_of(environment_dir(env))["sizing"]["kubernetes_version"] == found[1], env


# --- state -----------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_state_backend_is_s3_with_native_locking(env: str) -> None:
    backends = [
        backend
        for s in terraform_settings(environment_dir(env))
        for backend in s.get("backend", [])
    ]
    assert len(backends) == 1 and "s3" in backends[0], env
    s3 = backends[0]["s3"]
    assert s3["use_lockfile"] is True
    assert s3["encrypt"] is True and s3["kms_key_id"]
    assert "dynamodb_table" not in s3, "DynamoDB locking is deprecated in the S3 backend"
    assert s3["key"] == f"kvapi/{env}/terraform.tfstate"
    assert s3["key"] == locals_of(environment_dir(env))["state_key"], "CI roles get the real key"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_gitops_roots_keep_their_own_state_and_read_the_environments(env: str) -> None:
    [backend] = [b for s in terraform_settings(GITOPS / env) for b in s.get("backend", [])]
    assert backend["s3"]["key"] == f"kvapi/{env}/gitops.tfstate"
    assert backend["s3"]["use_lockfile"] is True and backend["s3"]["encrypt"] is True
    assert locals_of(GITOPS / env)["environment_state_key"] == f"kvapi/{env}/terraform.tfstate"
    assert locals_of(GITOPS / env)["environment_name"] == env


def test_state_bucket_alias_is_the_one_the_backends_name() -> None:
    alias = module_call("state_key", BOOTSTRAP)["alias"]
    for env in ENVIRONMENTS:
        s3 = next(
            b["s3"] for s in terraform_settings(environment_dir(env)) for b in s.get("backend", [])
        )
        assert s3["kms_key_id"] == f"alias/{alias}"


# --- tags ------------------------------------------------------------------------------------


@pytest.mark.parametrize("directory", ROOTS, ids=lambda d: str(d.relative_to(TERRAFORM)))
def test_every_aws_provider_tags_everything(directory: Path) -> None:
    providers = [b for b in blocks("provider", directory) if b.labels == ("aws",)]
    assert providers, f"{directory}: no aws provider"
    for provider in providers:
        tags = provider.body["default_tags"][0]["tags"]
        if tags == "${local.tags}":
            tags = locals_of(directory)["tags"]
        assert set(tags) >= REQUIRED_TAGS, f"{provider.where}: {sorted(tags)}"


def test_node_instances_carry_the_tags_too() -> None:
    # Instances and volumes launched by node groups do not inherit provider default tags.
    assert module_call("eks", MODULES / "cluster")["tags"] == "${var.tags}"
    assert module_call("platform", environment_dir("prod"))["tags"] == "${local.tags}"


# --- encryption at rest and in transit -------------------------------------------------------


def test_kms_keys_rotate() -> None:
    for key in resources("aws_kms_key"):
        assert key.body["enable_key_rotation"] is True, key.where


def test_buckets_are_encrypted_private_versioned_and_tls_only() -> None:
    buckets = resources("aws_s3_bucket")
    assert {b.path.parent.name for b in buckets} == {"private-bucket"}, "buckets go through it"
    sse = one_resource("aws_s3_bucket_server_side_encryption_configuration").body["rule"][0]
    default = sse["apply_server_side_encryption_by_default"][0]
    assert default["sse_algorithm"] == "aws:kms" and default["kms_master_key_id"]
    pab = one_resource("aws_s3_bucket_public_access_block").body
    assert all(
        pab[k] is True
        for k in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        )
    )
    versioning = one_resource("aws_s3_bucket_versioning").body
    assert versioning["versioning_configuration"][0]["status"] == "Enabled"
    tls = next(b for b in blocks("data") if b.labels == ("aws_iam_policy_document", "tls_only"))
    statement = tls.body["statement"][0]
    assert statement["effect"] == "Deny"
    assert statement["condition"][0]["variable"] == "aws:SecureTransport"
    assert statement["condition"][0]["values"] == ["false"]
    assert all(b.body["force_destroy"] is False for b in buckets)


def test_cache_is_encrypted_at_rest_and_in_transit_with_auth() -> None:
    group = one_resource("aws_elasticache_replication_group").body
    assert group["at_rest_encryption_enabled"] is True and group["kms_key_id"]
    assert group["transit_encryption_enabled"] is True
    assert group["transit_encryption_mode"] == "required"
    # A Terraform reference to the generated token, not a password.
    assert group["auth_token"] == "${random_password.auth_token.result}"  # noqa: S105


def test_secret_is_kms_encrypted_and_holds_the_contract_keys() -> None:
    secret = one_resource("aws_secretsmanager_secret").body
    assert secret["kms_key_id"]
    value = one_resource("aws_secretsmanager_secret_version").body["secret_string"]
    assert "KVAPI_REDIS_URL" in value and "KVAPI_WRITE_TOKENS" in value
    assert "rediss://" in value, "the URL must use TLS"
    platform = module_call("redis", MODULES / "platform")
    assert platform["secret_name"] == "kvapi/${var.environment}/redis"  # noqa: S105 (a name)


def test_cluster_encrypts_secrets_disks_and_logs() -> None:
    eks = module_call("eks", MODULES / "cluster")
    assert eks["encryption_config"]["resources"] == ["secrets"]
    assert eks["create_kms_key"] is True and eks["enable_kms_key_rotation"] is True
    assert eks["cloudwatch_log_group_kms_key_id"] == "${var.logs_kms_key_arn}"
    for group in eks["eks_managed_node_groups"].values():
        for device in group["block_device_mappings"].values():
            assert device["ebs"]["encrypted"] is True
        assert group["metadata_options"]["http_tokens"] == "required"
    vpc = module_call("vpc", MODULES / "network")
    assert vpc["flow_log_cloudwatch_log_group_kms_key_id"] == "${var.logs_kms_key_arn}"


def test_no_credential_is_an_output() -> None:
    for output in blocks("output"):
        text = str(output.body["value"])
        assert "random_password" not in text and "auth_token" not in text, output.where
        assert "secret_string" not in text, output.where


# --- network exposure ------------------------------------------------------------------------

INGRESS_TYPES = (
    "aws_security_group",
    "aws_vpc_security_group_ingress_rule",
    "aws_security_group_rule",
)


def ingress_bodies(block: Block) -> list[dict]:
    kind = block.labels[0]
    if kind == "aws_security_group":
        return list(block.body.get("ingress", []))
    if kind == "aws_security_group_rule" and block.body.get("type") != "ingress":
        return []
    return [block.body]


def test_no_ingress_is_open_to_the_internet() -> None:
    # The only public entry point is the ALB the AWS Load Balancer Controller creates from the
    # Kubernetes Ingress; Terraform itself opens nothing to 0.0.0.0/0.
    checked = 0
    for kind in INGRESS_TYPES:
        for block in resources(kind):
            for rule in ingress_bodies(block):
                checked += 1
                values = {v for v in walk(rule) if isinstance(v, str)}
                assert not values & OPEN_CIDRS, f"{block.where} admits the internet"
    assert checked, "the cache's ingress rules were found and checked"


def test_cache_admits_6379_from_the_cluster_nodes_only() -> None:
    rule = one_resource("aws_vpc_security_group_ingress_rule").body
    assert (rule["from_port"], rule["to_port"], rule["ip_protocol"]) == (6379, 6379, "tcp")
    assert rule["referenced_security_group_id"] == "${each.value}"
    assert not {"cidr_ipv4", "cidr_ipv6", "prefix_list_id"} & set(rule)
    wiring = module_call("redis", MODULES / "platform")["allowed_security_group_ids"]
    assert wiring == {"eks_nodes": "${module.cluster.node_security_group_id}"}


def test_kubernetes_api_is_private_unless_cidrs_are_listed() -> None:
    eks = module_call("eks", MODULES / "cluster")
    assert eks["endpoint_private_access"] is True
    assert eks["endpoint_public_access"] == "${length(var.public_access_cidrs) > 0}"
    variable = next(
        b for b in blocks("variable", MODULES / "cluster") if b.labels == ("public_access_cidrs",)
    )
    assert '"0.0.0.0/0"' in variable.body["validation"][0]["condition"]
    shared = next(
        b
        for b in blocks("variable", environment_dir("prod"))
        if b.labels == ("api_public_access_cidrs",)
    )
    assert shared.body["default"] == []


def test_cluster_uses_access_entries_and_pod_identity() -> None:
    eks = module_call("eks", MODULES / "cluster")
    assert eks["authentication_mode"] == "API"
    assert eks["enable_irsa"] is False
    # The EKS add-ons; every other add-on is an Argo CD Application (ADR 0110).
    assert set(eks["addons"]) == {
        "coredns",
        "kube-proxy",
        "vpc-cni",
        "eks-pod-identity-agent",
        "metrics-server",
    }
    assert eks["addons"]["eks-pod-identity-agent"]["before_compute"] is True
    assert set(eks["enabled_log_types"]) >= {"api", "audit", "authenticator"}


# --- node architecture -----------------------------------------------------------------------


def instance_type_rule() -> tuple[re.Pattern[str], str]:
    variable = next(
        b.body
        for b in blocks("variable", MODULES / "cluster")
        if b.labels == ("node_instance_types",)
    )
    [rule] = [v for v in variable["validation"] if "node_architecture" in v["condition"]]
    found = re.search(r'regex\("(.+?)", type\)', rule["condition"])
    assert found, rule["condition"]
    return re.compile(found[1].encode().decode("unicode_escape")), rule["condition"]


def test_node_architecture_picks_the_ami_and_its_instance_types() -> None:
    ami_types = locals_of(MODULES / "cluster")["ami_types"]
    assert ami_types == {"x86_64": "AL2023_x86_64_STANDARD", "arm64": "AL2023_ARM_64_STANDARD"}
    [group] = module_call("eks", MODULES / "cluster")["eks_managed_node_groups"].values()
    assert group["ami_type"] == "${local.ami_types[var.node_architecture]}"
    graviton, condition = instance_type_rule()
    assert '== (var.node_architecture == "arm64")' in condition
    for arm in (
        "t4g.large",
        "m7g.large",
        "c7gn.xlarge",
        "r8gd.2xlarge",
        "im4gn.large",
        "g5g.xlarge",
    ):
        assert graviton.search(arm), arm
    for x86 in (
        "t3.large",
        "m7i.large",
        "m7i-flex.large",
        "g5.xlarge",
        "c6in.large",
        "inf2.xlarge",
    ):
        assert not graviton.search(x86), x86


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_environment_names_an_architecture_its_instance_types_match(env: str) -> None:
    graviton, _ = instance_type_rule()
    nodes = sizing(env)["nodes"]
    for instance_type in nodes["instance_types"]:
        assert bool(graviton.search(instance_type)) == (nodes["architecture"] == "arm64"), env
    # dev runs the arm64 image CD builds; staging and prod stay x86_64 (docs/terraform.md).
    assert nodes["architecture"] == ("arm64" if env == "dev" else "x86_64")


# --- availability and protection per environment ---------------------------------------------


def sizing(env: str) -> dict:
    return locals_of(environment_dir(env))["sizing"]


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_cache_is_multi_az_with_failover(env: str) -> None:
    redis = sizing(env)["redis"]
    assert redis["multi_az"] is True and redis["node_count"] >= 2, env
    group = one_resource("aws_elasticache_replication_group").body
    assert group["automatic_failover_enabled"] == "${local.automatic_failover}"
    failover = locals_of(MODULES / "redis")["automatic_failover"]
    assert failover == "${var.cluster_mode || coalesce(var.node_count, 1) > 1}"
    assert group["multi_az_enabled"] == "${var.multi_az}"


def test_prod_is_protected_and_spread_over_zones() -> None:
    prod = sizing("prod")
    assert prod["deletion_protection"] is True
    assert prod["single_nat_gateway"] is False, "one NAT gateway per zone in prod"
    assert prod["nodes"]["min_size"] >= 3, "a node per zone"
    assert prod["redis"]["snapshot_retention_days"] >= 7
    platform = MODULES / "platform"
    assert module_call("cluster", platform)["deletion_protection"] == "${var.deletion_protection}"
    assert module_call("redis", platform)["final_snapshot"] == "${var.deletion_protection}"
    identities = module_call("identities", platform)
    assert identities["protect_stateful_resources"] == "${var.deletion_protection}"
    assert (
        module_call("eks", MODULES / "cluster")["deletion_protection"]
        == "${var.deletion_protection}"
    )


def test_dev_saves_on_nat_but_keeps_snapshots() -> None:
    dev = sizing("dev")
    assert dev["single_nat_gateway"] is True
    assert dev["redis"]["snapshot_retention_days"] >= 1


def test_loki_bucket_lifecycle_is_14_days_hot_90_days_kept() -> None:
    logs = {b.labels[0]: b.body for b in blocks("variable", MODULES / "logs-bucket")}
    assert logs["hot_days"]["default"] == 14 and logs["retention_days"]["default"] == 90
    rule = module_call("bucket", MODULES / "logs-bucket")["lifecycle_rules"][0]
    assert rule["transitions"] == [{"days": "${var.hot_days}", "storage_class": "GLACIER_IR"}]
    # Loki's compactor deletes at 90 days; the bucket's expiration trails it (Loki's docs).
    assert rule["expiration_days"] == "${var.retention_days + var.expiry_margin_days}"
    assert logs["expiry_margin_days"]["default"] >= 1


# --- interface quality -----------------------------------------------------------------------

LEAF_MODULES = sorted(d for d in MODULES.iterdir() if d.name != "platform")


@pytest.mark.parametrize("module", LEAF_MODULES, ids=lambda d: d.name)
def test_leaf_module_inputs_are_validated(module: Path) -> None:
    # modules/platform only passes values on to these modules, which validate them.
    for variable in blocks("variable", module):
        assert variable.body.get("description"), variable.where
        if variable.body["type"] != "bool":
            assert variable.body.get("validation"), f"{variable.where} has no validation"


@pytest.mark.parametrize("directory", module_dirs(), ids=lambda d: str(d.relative_to(TERRAFORM)))
def test_inputs_and_outputs_are_described(directory: Path) -> None:
    for block in [*blocks("variable", directory), *blocks("output", directory)]:
        assert len(block.body.get("description", "")) > 10, f"{block.where} needs a description"


@pytest.mark.parametrize("directory", module_dirs(), ids=lambda d: str(d.relative_to(TERRAFORM)))
def test_readme_tables_match_the_code(directory: Path) -> None:
    readme = directory / "README.md"
    assert readme.exists(), f"{directory} needs a README"
    assert readme.read_text(encoding="utf-8") == readme_with_tables(readme), "make terraform-docs"


def test_every_checkov_skip_gives_a_reason() -> None:
    skip = re.compile(r"#checkov:skip=([A-Z0-9_]+)(?::(.*))?")
    found = 0
    for path in real_tf_files():
        for match in skip.finditer(path.read_text(encoding="utf-8")):
            found += 1
            assert match[2] and len(match[2].strip()) > 20, f"{path}: {match[1]} needs a reason"
    assert found, "the skips were found and read"


# --- checkov ---------------------------------------------------------------------------------

CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"


def checkov() -> Path:
    """The pinned checkov of `make checkov-venv` (built here if missing; CI must manage to)."""
    if not CHECKOV.exists():
        built = subprocess.run(
            ["make", "-s", "checkov-venv"], cwd=REPO, capture_output=True, text=True
        )
        if built.returncode != 0:
            reason = f"make checkov-venv failed: {built.stderr[-2000:]}"
            if in_ci():
                pytest.fail(reason)
            pytest.skip(reason)
    return CHECKOV


def test_checkov_reports_no_failed_check() -> None:
    result = subprocess.run(
        [str(checkov()), "--skip-download", "-d", str(TERRAFORM), "--quiet", "--compact"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    summary = re.search(
        r"Passed checks: (\d+), Failed checks: (\d+), Skipped checks: (\d+)", result.stdout
    )
    assert summary, f"no checkov summary:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert result.returncode == 0 and summary[2] == "0", result.stdout[-5000:]
    assert int(summary[1]) > 100, "checkov scanned the resources, not an empty tree"


# --- the CI roles ----------------------------------------------------------------------------
# Every role a workflow assumes exists and trusts that job: tests/deploy/test_seams_terraform.py.

IDENTITIES = MODULES / "identities"


def identities_data(name: str) -> Body:
    found = [
        b.body for b in blocks("data", IDENTITIES) if b.labels == ("aws_iam_policy_document", name)
    ]
    assert len(found) == 1, f"one aws_iam_policy_document.{name} in modules/identities"
    return found[0]


def identities_resources(kind: str) -> list[Block]:
    return [b for b in blocks("resource", IDENTITIES) if b.labels[0] == kind]


def test_ci_roles_trust_exact_subjects_of_this_repository_only() -> None:
    subjects = locals_of(IDENTITIES)["github_subjects"]
    assert set(subjects) == {"plan", "apply"}, "no deploy role: CD never reaches the cluster"
    assert subjects["apply"] == [
        "repo:${var.github_repository}:environment:${var.github_apply_environment}"
    ]
    assert subjects["plan"] == [
        "repo:${var.github_repository}:pull_request",
        "repo:${var.github_repository}:environment:${var.github_drift_environment}",
    ]
    assert not any("*" in s for trusted in subjects.values() for s in trusted)
    trust = identities_data("github_trust")
    assert trust["for_each"] == "${local.github_subjects}"
    [statement] = trust["statement"]
    assert statement["actions"] == ["sts:AssumeRoleWithWebIdentity"]
    conditions = {c["variable"]: c for c in statement["condition"]}
    aud = conditions["token.actions.githubusercontent.com:aud"]
    assert (aud["test"], aud["values"]) == ("StringEquals", ["sts.amazonaws.com"])


def test_github_environment_inputs_refuse_patterns_and_separators() -> None:
    for name in ("github_apply_environment", "github_drift_environment"):
        variable = next(b.body for b in blocks("variable", IDENTITIES) if b.labels == (name,))
        condition = variable["validation"][0]["condition"]
        found = re.search(rf'regex\("(.+)", var\.{name}\)', condition)
        assert found, condition
        pattern = re.compile(found[1].encode().decode("unicode_escape"))
        assert all(pattern.search(n) for n in ("terraform-dev", "terraform-drift", "eu-west.1"))
        assert not any(pattern.search(n) for n in ("", "prod*", "*", "prod:x", "a b")), name


def test_no_ci_role_reaches_the_kubernetes_api() -> None:
    # Argo CD pulls from git (ADR 0110): no access entry for any CI role; cluster admins only.
    assert not identities_resources("aws_eks_access_entry")
    assert not identities_resources("aws_eks_access_policy_association")
    for name in ("state", "read"):
        attached = next(
            r.body
            for r in identities_resources("aws_iam_role_policy")
            if r.labels[1] == f"ci_{name}"
        )
        assert attached["for_each"] == "${local.github_subjects}", name
    [write] = [r for r in identities_resources("aws_iam_role_policy") if r.labels[1] == "ci_apply"]
    assert write.body["role"] == '${aws_iam_role.ci["apply"].id}'


def test_environments_apply_in_their_terraform_github_environment() -> None:
    named = {
        env: locals_of(environment_dir(env))["github_apply_environment"] for env in ENVIRONMENTS
    }
    assert named == {env: f"terraform-{env}" for env in ENVIRONMENTS}
    shared = module_call("platform", environment_dir("prod"))
    assert shared["github_apply_environment"] == "${local.github_apply_environment}"
    identities = module_call("identities", MODULES / "platform")
    assert identities["github_apply_environment"] == "${var.github_apply_environment}"


# --- the AWS Load Balancer Controller --------------------------------------------------------

ALB_POLICY = IDENTITIES / "policies" / "aws-load-balancer-controller-v2.13.4.json"


def test_load_balancer_controller_policy_is_upstreams_through_the_partition() -> None:
    policy = json.loads(ALB_POLICY.read_text(encoding="utf-8"))
    actions = {
        action
        for statement in policy["Statement"]
        for action in (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )
    }
    # What the controller needs for an internet-facing ALB with TLS (prod's Ingress).
    assert {
        "elasticloadbalancing:CreateLoadBalancer",
        "elasticloadbalancing:CreateTargetGroup",
        "elasticloadbalancing:RegisterTargets",
        "ec2:CreateSecurityGroup",
        "acm:DescribeCertificate",
    } <= actions
    assert not any(a.endswith(":*") or a == "*" for a in actions), "no service-wide wildcard"
    assert all(s["Effect"] == "Allow" for s in policy["Statement"])
    workloads = locals_of(IDENTITIES)
    assert ALB_POLICY.name in workloads["load_balancer_controller_policy"]
    assert "data.aws_partition.current.partition" in workloads["load_balancer_controller_policy"]
    assert workloads["workloads"]["load-balancer-controller"] == (
        "${merge(var.load_balancer_controller, {policy = local.load_balancer_controller_policy})}"
    )


# --- Argo CD bootstrap -----------------------------------------------------------------------

GITOPS_MODULE = MODULES / "gitops-bootstrap"
ARGO_HELM = "https://argoproj.github.io/argo-helm"


def helm_release(name: str) -> Body:
    [release] = [
        b.body for b in blocks("resource", GITOPS_MODULE) if b.labels == ("helm_release", name)
    ]
    return release


def test_argo_cd_and_the_root_application_are_pinned_charts() -> None:
    variables = {b.labels[0]: b.body for b in blocks("variable", GITOPS_MODULE)}
    argo_cd, root = helm_release("argo_cd"), helm_release("root_app")
    assert (argo_cd["chart"], argo_cd["version"]) == ("argo-cd", "${var.argo_cd_chart_version}")
    assert (root["chart"], root["version"]) == ("argocd-apps", "${var.argocd_apps_chart_version}")
    assert variables["argo_cd_chart_version"]["default"] == "9.7.1"
    assert variables["argocd_apps_chart_version"]["default"] == "2.0.5"
    for name in ("argo_cd_chart_version", "argocd_apps_chart_version"):
        assert EXACT.match(variables[name]["default"])
    local = locals_of(GITOPS_MODULE)
    assert local["repository"] == ARGO_HELM and local["namespace"] == "argocd"
    assert argo_cd["repository"] == root["repository"] == "${local.repository}"
    assert argo_cd["namespace"] == root["namespace"] == "${local.namespace}"
    assert root["depends_on"] == ["${helm_release.argo_cd}"]


def test_the_root_application_follows_the_environments_gitops_folder_on_main() -> None:
    local = locals_of(GITOPS_MODULE)
    assert local["gitops_path"] == "deploy/gitops/environments/${var.environment}"
    variables = {b.labels[0]: b.body for b in blocks("variable", GITOPS_MODULE)}
    assert variables["target_revision"]["default"] == "main"
    values = helm_release("root_app")["values"][0]
    for piece in (
        "repoURL = var.repository_url",
        "targetRevision = var.target_revision",
        "path = local.gitops_path",
        "prune = true",
        "selfHeal = true",
    ):
        assert piece in re.sub(r"\s+", " ", values), piece
    for env in ENVIRONMENTS:
        call = module_call("gitops_bootstrap", GITOPS / env)
        assert call["environment"] == "${local.environment_name}"
        assert call["repository_url"] == "https://github.com/${var.github_repository}.git"


def test_gitops_roots_read_only_outputs_the_environments_have() -> None:
    wanted = set(
        re.findall(r"local\.environment\.(\w+)", (GITOPS / "_shared" / "main.tf").read_text())
    )
    outputs = {b.labels[0] for b in blocks("output", environment_dir("prod"))}
    assert wanted and wanted <= outputs, sorted(wanted - outputs)


def test_the_helm_provider_uses_the_v3_syntax_and_the_cluster_from_aws() -> None:
    [helm] = [b.body for b in blocks("provider", GITOPS / "prod") if b.labels == ("helm",)]
    kubernetes = helm["kubernetes"]
    assert isinstance(kubernetes, dict), "helm provider v3: `kubernetes = { ... }`, an attribute"
    assert kubernetes["host"] == "${data.aws_eks_cluster.this.endpoint}"
    assert kubernetes["exec"]["command"] == "aws"
    assert kubernetes["exec"]["args"][:2] == ["eks", "get-token"]
    assert required_providers(GITOPS / "prod")["helm"]["version"] == "3.1.2"
