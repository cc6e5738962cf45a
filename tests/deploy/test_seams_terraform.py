"""Seams between Terraform and the layers that need it, each shown to hold on the real tree and
to be rejected on a copy of the tree with that seam broken (tests/deploy/terraform_seams.py).

- the VPC CNI enforces NetworkPolicies in every environment;
- every role a workflow assumes exists in Terraform and trusts that job's token subject, and
  every CI role and trusted subject is used by a workflow;
- every environment's apply environment is the GitHub environment its apply job runs in;
- no ARN hardcodes the `aws` partition;
- every service account that calls AWS (the AWS Load Balancer Controller among them) has a Pod
  Identity association, and no Pod Identity role lacks a caller;
- the AWS Load Balancer Controller deploy/gitops pins has the IAM policy Terraform commits, and
  metrics-server (an EKS add-on) is not installed twice;
- Argo CD is installed with deploy/gitops/argocd/values.yaml (the health check sync waves need,
  the notifications CD waits for);
- what an add-on expects from Terraform (Loki's ConfigMap monitoring/loki-storage and every
  variable its configuration expands, the load balancer controller's region) is provided.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from testbed.tools import REPO
from tests.deploy import terraform_seams as seams

Check = Callable[[Path], list[str]]
CHECKS: list[Check] = [
    seams.network_policy_problems,
    seams.role_trust_problems,
    seams.apply_environment_problems,
    seams.partition_problems,
    seams.pod_identity_problems,
    seams.gitops_addon_problems,
    seams.argo_cd_values_problems,
    seams.addon_fact_problems,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_the_real_tree_holds_together(check: Check) -> None:
    assert check(REPO) == []


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of deploy/terraform, .github/workflows, deploy/gitops and Loki's configuration
    (symlinks kept) to break."""
    parts = (
        "deploy/terraform",
        ".github/workflows",
        "deploy/gitops",
        "deploy/k8s/components",
        "observability/loki",
    )
    for part in parts:
        if (REPO / part).exists():
            shutil.copytree(REPO / part, tmp_path / part, symlinks=True)
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def cluster(tree: Path) -> Path:
    return tree / "deploy/terraform/modules/cluster/main.tf"


def workflow(tree: Path) -> Path:
    return tree / ".github/workflows/terraform.yml"


def identities(tree: Path, name: str) -> Path:
    return tree / f"deploy/terraform/modules/identities/{name}.tf"


# --- NetworkPolicies -------------------------------------------------------------------------

NETWORK_POLICY = 'configuration_values = jsonencode({ enableNetworkPolicy = "true" })'


def test_a_vpc_cni_without_the_network_policy_agent_is_rejected(tree: Path) -> None:
    edit(cluster(tree), NETWORK_POLICY, "configuration_values = jsonencode({})")
    assert any("enableNetworkPolicy" in p for p in seams.network_policy_problems(tree))


def test_a_network_policy_switch_per_environment_is_rejected(tree: Path) -> None:
    edit(
        cluster(tree),
        NETWORK_POLICY,
        "configuration_values = jsonencode({ enableNetworkPolicy = var.network_policies })",
    )
    assert any("depend on an input" in p for p in seams.network_policy_problems(tree))


def test_an_environment_outside_modules_platform_is_rejected(tree: Path) -> None:
    platform = tree / "deploy/terraform/environments/staging/platform.tf"
    text = platform.read_text(encoding="utf-8")
    platform.unlink()  # a symlink into _shared: replace it by a diverging copy
    platform.write_text(text.replace("../../modules/platform", "../../modules/other"))
    assert seams.network_policy_problems(tree) == [
        "environments/staging does not build its cluster with modules/platform"
    ]


# --- roles the workflows assume --------------------------------------------------------------


def test_a_workflow_assuming_a_role_terraform_lacks_is_rejected(tree: Path) -> None:
    edit(workflow(tree), "}}-ci-plan\n", "}}-ci-deploy\n")
    problems = seams.role_trust_problems(tree)
    assert any("'kvapi-prod-ci-deploy', which Terraform does not create" in p for p in problems)


def test_an_apply_job_outside_its_github_environment_is_rejected(tree: Path) -> None:
    edit(workflow(tree), "    environment:\n      name: terraform-${{ matrix.environment }}\n", "")
    problems = seams.role_trust_problems(tree)
    assert any(
        "kvapi-dev-ci-apply does not trust repo:OWNER/REPO:ref:refs/heads/main" in p
        for p in problems
    )


def test_a_trusted_subject_no_workflow_presents_is_rejected(tree: Path) -> None:
    edit(workflow(tree), "      name: terraform-drift\n", "      name: terraform-nightly\n")
    problems = seams.role_trust_problems(tree)
    assert (
        "kvapi-prod-ci-plan trusts repo:OWNER/REPO:environment:terraform-drift, which no "
        "workflow job presents" in problems
    )


def test_a_role_no_workflow_assumes_is_rejected(tree: Path) -> None:
    audit = '    audit = ["repo:${var.github_repository}:environment:audit"]\n'
    edit(identities(tree, "ci"), "    apply = [", audit + "    apply = [")
    assert "kvapi-dev-ci-audit is assumed by no workflow" in seams.role_trust_problems(tree)


def test_an_apply_environment_the_workflow_does_not_use_is_rejected(tree: Path) -> None:
    edit(
        tree / "deploy/terraform/environments/prod/environment.tf",
        '"terraform-prod"',
        '"production"',
    )
    problems = seams.apply_environment_problems(tree)
    assert problems == [
        "kvapi-prod-ci-apply is assumed in GitHub environments {'terraform-prod'}, "
        "not in 'production'"
    ]


# --- partition -------------------------------------------------------------------------------


def test_a_hardcoded_partition_is_rejected(tree: Path) -> None:
    edit(
        cluster(tree),
        '"arn:${data.aws_partition.current.partition}:eks::aws:',
        '"arn:aws:eks::aws:',
    )
    assert any("hardcoded partition" in p for p in seams.partition_problems(tree))


def test_an_upstream_policy_read_without_the_partition_is_rejected(tree: Path) -> None:
    edit(
        identities(tree, "workloads"),
        '"arn:aws:", "arn:${data.aws_partition.current.partition}:"',
        '"x", "x"',
    )
    assert any("not read through the partition" in p for p in seams.partition_problems(tree))


# --- Pod Identity ----------------------------------------------------------------------------


def test_the_load_balancer_controller_without_an_association_is_rejected(tree: Path) -> None:
    edit(
        identities(tree, "workloads"),
        "    load-balancer-controller = merge(var.load_balancer_controller, "
        "{ policy = local.load_balancer_controller_policy })\n",
        "",
    )
    assert seams.pod_identity_problems(tree) == [
        "kube-system/aws-load-balancer-controller calls AWS but has no Pod Identity association"
    ]


def test_a_pod_identity_role_without_a_caller_is_rejected(tree: Path) -> None:
    edit(
        identities(tree, "workloads"),
        "    loki                     = merge(var.loki,",
        '    grafana = merge(var.loki, { policy = "{}" })\n'
        "    loki                     = merge(var.loki,",
    )
    edit(
        identities(tree, "variables"),
        'default = { namespace = "monitoring", service_account = "loki" }',
        'default = { namespace = "monitoring", service_account = "loki-legacy" }',
    )
    problems = seams.pod_identity_problems(tree)
    assert "monitoring/loki calls AWS but has no Pod Identity association" in problems
    assert (
        "Pod Identity role grafana is for monitoring/loki-legacy, which does not call AWS"
        in problems
    )


def test_an_iam_role_outside_the_known_sets_is_rejected(tree: Path) -> None:
    extra = tree / "deploy/terraform/modules/redis/extra.tf"
    extra.write_text('resource "aws_iam_role" "helper" {\n  name = "x"\n}\n')
    assert any(
        "outside the Pod Identity and CI sets" in p for p in seams.pod_identity_problems(tree)
    )


# --- what deploy/gitops installs -------------------------------------------------------------

CONTROLLER_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: aws-load-balancer-controller, namespace: argocd}}
spec:
  source:
    repoURL: https://aws.github.io/eks-charts
    chart: {chart}
    targetRevision: {version}
"""


def gitops_app(tree: Path, chart: str, version: str) -> None:
    path = tree / "deploy/gitops/environments/prod/broken-seam.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CONTROLLER_APP.format(chart=chart, version=version), encoding="utf-8")


def test_a_load_balancer_controller_of_the_committed_policy_is_accepted(tree: Path) -> None:
    gitops_app(tree, "aws-load-balancer-controller", "1.13.4")
    assert seams.gitops_addon_problems(tree) == []


def test_a_load_balancer_controller_newer_than_its_policy_is_rejected(tree: Path) -> None:
    gitops_app(tree, "aws-load-balancer-controller", "1.18.0")
    [problem] = seams.gitops_addon_problems(tree)
    assert "chart 1.18.0 is outside" in problem


def test_metrics_server_installed_twice_is_rejected(tree: Path) -> None:
    gitops_app(tree, "metrics-server", "3.13.0")
    [problem] = seams.gitops_addon_problems(tree)
    assert "metrics-server is an EKS add-on" in problem


# --- what Terraform hands to Argo CD and its add-ons -----------------------------------------


def gitops_bootstrap(tree: Path) -> Path:
    return tree / "deploy/terraform/modules/gitops-bootstrap/main.tf"


def test_argo_cd_installed_without_the_committed_values_is_rejected(tree: Path) -> None:
    edit(gitops_bootstrap(tree), "    var.argo_cd_values,\n", "")
    assert seams.argo_cd_values_problems(tree) == [
        "helm_release.argo_cd does not get var.argo_cd_values (values.yaml)"
    ]


def test_argo_cd_values_read_from_another_path_are_rejected(tree: Path) -> None:
    edit(
        tree / "deploy/terraform/gitops/_shared/main.tf",
        "/../../../gitops/argocd/values.yaml",
        "/../../gitops/argocd/values.yaml",
    )
    problems = seams.argo_cd_values_problems(tree)
    assert len(problems) == 3 and all("not deploy/gitops/argocd/values.yaml" in p for p in problems)


def test_argo_cd_values_without_the_application_health_check_are_rejected(tree: Path) -> None:
    edit(
        tree / "deploy/gitops/argocd/values.yaml",
        "resource.customizations.health.argoproj.io_Application",
        "resource.customizations.health.argoproj.io_Rollout",
    )
    [problem] = seams.argo_cd_values_problems(tree)
    assert "sync waves would not wait" in problem


def test_a_variable_loki_expands_that_terraform_does_not_write_is_rejected(tree: Path) -> None:
    edit(gitops_bootstrap(tree), "        LOKI_S3_BUCKET = var.loki_bucket\n", "")
    assert seams.addon_fact_problems(tree) == [
        "loki expands ${LOKI_S3_BUCKET}, not in monitoring/loki-storage"
    ]


def test_a_config_map_terraform_does_not_write_is_rejected(tree: Path) -> None:
    edit(tree / "deploy/gitops/addons/loki.yaml", "name: loki-storage", "name: loki-env")
    assert seams.addon_fact_problems(tree) == [
        "loki reads ConfigMap monitoring/loki-env: nobody makes it"
    ]


def test_a_fact_that_is_no_terraform_input_is_rejected(tree: Path) -> None:
    edit(gitops_bootstrap(tree), "AWS_REGION     = var.region", 'AWS_REGION     = "us-east-1"')
    assert seams.addon_fact_problems(tree) == [
        "monitoring/loki-storage AWS_REGION = us-east-1: not an input"
    ]


def test_a_load_balancer_controller_in_another_region_is_rejected(tree: Path) -> None:
    edit(
        tree / "deploy/gitops/addons/aws-load-balancer-controller.yaml",
        "region: us-east-1",
        "region: eu-west-1",
    )
    assert seams.addon_fact_problems(tree) == [
        "aws-load-balancer-controller: region eu-west-1, Terraform's us-east-1"
    ]


def test_a_secret_store_in_another_region_is_rejected(tree: Path) -> None:
    edit(
        tree / "deploy/k8s/components/elasticache-redis/secretstore.yaml",
        "region: us-east-1",
        "region: eu-west-1",
    )
    assert seams.addon_fact_problems(tree) == [
        "deploy/k8s/components/elasticache-redis/secretstore.yaml: region is not Terraform's "
        "us-east-1"
    ]


def test_an_hpa_without_metrics_server_is_rejected(tree: Path) -> None:
    """The overlays' HPA reads the resource metrics API: with the EKS add-on gone and no chart
    in deploy/gitops, nothing serves it."""
    edit(cluster(tree), "    metrics-server         = {}\n", "")
    assert seams.gitops_addon_problems(tree) == [
        "modules/cluster no longer installs metrics-server: deploy/gitops must"
    ]
