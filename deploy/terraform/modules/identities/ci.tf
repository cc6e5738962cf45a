# GitHub Actions roles of terraform.yml, assumed through OIDC (no stored keys). `plan` for pull
# requests of this repository and for the nightly drift check, which runs in the GitHub
# environment `github_drift_environment`; `apply` only for jobs running in this environment's
# GitHub environment `github_apply_environment` (terraform-<env>), whose protection rules
# (deployment branch main, required reviewers) decide which runs get there. A job that declares
# an environment gets the subject `repo:<owner/name>:environment:<name>` whatever its branch.
# No role reaches the Kubernetes API: CD commits image digests to git and Argo CD pulls them
# (ADR 0110), so there is no deploy role and no access entry for CI.

locals {
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id
  region    = data.aws_region.current.region

  # role => the token subjects it trusts, matched exactly (StringEquals, no wildcard).
  github_subjects = {
    plan = [
      "repo:${var.github_repository}:pull_request",
      "repo:${var.github_repository}:environment:${var.github_drift_environment}",
    ]
    apply = ["repo:${var.github_repository}:environment:${var.github_apply_environment}"]
  }

  cluster_arn = "arn:${local.partition}:eks:${local.region}:${local.account}:cluster/${var.cluster_name}"

  # What this environment owns, by name: everything Terraform creates here is named kvapi-<env>...
  owned = {
    iam_roles    = "arn:${local.partition}:iam::${local.account}:role/${var.name_prefix}-*"
    iam_policies = "arn:${local.partition}:iam::${local.account}:policy/${var.name_prefix}-*"
    eks          = [local.cluster_arn, "arn:${local.partition}:eks:${local.region}:${local.account}:*/${var.cluster_name}/*"]
    elasticache  = "arn:${local.partition}:elasticache:${local.region}:${local.account}:*:${var.name_prefix}*"
    secrets      = "arn:${local.partition}:secretsmanager:${local.region}:${local.account}:secret:kvapi/${trimprefix(var.name_prefix, "kvapi-")}/*"
    buckets      = ["arn:${local.partition}:s3:::${var.name_prefix}-*"]
  }
}

data "aws_iam_policy_document" "github_trust" {
  for_each = local.github_subjects

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [var.github_oidc_provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = each.value
    }
  }
}

resource "aws_iam_role" "ci" {
  for_each = local.github_subjects

  name                 = "${var.name_prefix}-ci-${each.key}"
  description          = "GitHub Actions terraform ${each.key} for ${var.github_repository} (${join(", ", each.value)})"
  assume_role_policy   = data.aws_iam_policy_document.github_trust[each.key].json
  max_session_duration = 3600
}

# Both Terraform roles take the state lock (use_lockfile writes <key>.tflock) and read the state;
# only apply writes the state itself.
data "aws_iam_policy_document" "state" {
  for_each = local.github_subjects

  statement {
    sid       = "ListStateBucket"
    actions   = ["s3:ListBucket"]
    resources = [var.state.bucket_arn]
  }

  statement {
    sid       = "ReadState"
    actions   = ["s3:GetObject"]
    resources = ["${var.state.bucket_arn}/${var.state.key}", "${var.state.bucket_arn}/${var.state.key}.tflock"]
  }

  statement {
    sid       = "WriteLockAndState"
    actions   = ["s3:PutObject", "s3:DeleteObject"]
    resources = each.key == "apply" ? ["${var.state.bucket_arn}/${var.state.key}", "${var.state.bucket_arn}/${var.state.key}.tflock"] : ["${var.state.bucket_arn}/${var.state.key}.tflock"]
  }

  statement {
    sid       = "UseStateKey"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    resources = [var.state.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "ci_state" {
  for_each = local.github_subjects

  name   = "${var.name_prefix}-ci-${each.key}-state"
  role   = aws_iam_role.ci[each.key].id
  policy = data.aws_iam_policy_document.state[each.key].json
}

# Plan refreshes every resource: read-only calls of the services this stack uses, plus the
# value of this environment's secret (the secret version is refreshed too).
data "aws_iam_policy_document" "read" {
  #checkov:skip=CKV_AWS_356:Describe/List calls of EC2, EKS, ElastiCache, KMS and CloudWatch Logs mostly take no resource-level scoping; they are read-only.
  statement {
    sid = "DescribeEverythingThisStackUses"
    actions = [
      "ec2:Describe*", "eks:Describe*", "eks:List*", "elasticache:Describe*", "elasticache:List*",
      "iam:Get*", "iam:List*", "kms:Describe*", "kms:Get*", "kms:List*", "logs:Describe*", "logs:List*",
      "s3:GetBucket*", "s3:GetLifecycleConfiguration", "s3:GetEncryptionConfiguration", "s3:GetAccelerateConfiguration",
      "s3:GetReplicationConfiguration", "s3:ListAllMyBuckets", "secretsmanager:DescribeSecret",
      "secretsmanager:GetResourcePolicy", "secretsmanager:ListSecrets", "sts:GetCallerIdentity",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "ReadThisEnvironmentsSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [local.owned.secrets]
  }
}

resource "aws_iam_role_policy" "ci_read" {
  for_each = local.github_subjects

  name   = "${var.name_prefix}-ci-${each.key}-read"
  role   = aws_iam_role.ci[each.key].id
  policy = data.aws_iam_policy_document.read.json
}

# Apply: write access per service, scoped to this environment's names wherever the service
# supports it; IAM (the privilege-escalation path) only on kvapi-<env>-* roles and policies.
data "aws_iam_policy_document" "apply" {
  #checkov:skip=CKV_AWS_109:kms:* on "*" lets apply manage key policies; new keys have no ARN to scope to before they exist, and each key's own policy still gates it.
  #checkov:skip=CKV_AWS_111:EC2, KMS, CloudWatch Logs and Auto Scaling writes are on "*" because VPCs, subnets, keys and log groups get generated IDs; EKS, ElastiCache, S3, Secrets Manager and IAM writes are scoped to this environment's names.
  #checkov:skip=CKV_AWS_356:The "*" resource is limited to the EC2/KMS/Logs/Auto Scaling statement, whose create calls cannot be scoped to resources that do not exist yet.
  # EC2 by verb, so that ec2:GetPasswordData (a credential) is not granted.
  statement {
    sid = "NetworkKeysAndLogGroups"
    actions = [
      "ec2:Describe*", "ec2:Create*", "ec2:Delete*", "ec2:Modify*", "ec2:Replace*", "ec2:Update*",
      "ec2:Associate*", "ec2:Disassociate*", "ec2:Attach*", "ec2:Detach*", "ec2:Allocate*", "ec2:Release*",
      "ec2:Authorize*", "ec2:Revoke*", "ec2:RunInstances", "ec2:GetLaunchTemplateData",
      "kms:*", "logs:*", "autoscaling:*",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "ThisEnvironmentsCluster"
    actions   = ["eks:*"]
    resources = local.owned.eks
  }

  statement {
    sid       = "ThisEnvironmentsCache"
    actions   = ["elasticache:*"]
    resources = [local.owned.elasticache]
  }

  statement {
    sid       = "ThisEnvironmentsSecret"
    actions   = ["secretsmanager:*"]
    resources = [local.owned.secrets]
  }

  # Bucket configuration only: the apply role never reads or writes Loki's objects.
  statement {
    sid = "ThisEnvironmentsBuckets"
    actions = [
      "s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:GetBucket*", "s3:PutBucket*", "s3:DeleteBucketPolicy",
      "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration", "s3:GetEncryptionConfiguration",
      "s3:PutEncryptionConfiguration", "s3:GetAccelerateConfiguration", "s3:GetReplicationConfiguration",
    ]
    resources = local.owned.buckets
  }

  # Role and policy management only: no users, no access keys, no other environment's roles.
  statement {
    sid = "ThisEnvironmentsRolesAndPolicies"
    actions = [
      "iam:CreateRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole",
      "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:PassRole",
      "iam:CreatePolicy", "iam:DeletePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:TagPolicy", "iam:UntagPolicy",
    ]
    resources = [local.owned.iam_roles, local.owned.iam_policies]
  }

  statement {
    sid       = "ServiceLinkedRolesTheStackNeeds"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["arn:${local.partition}:iam::${local.account}:role/aws-service-role/*"]
  }

  dynamic "statement" {
    for_each = var.protect_stateful_resources ? [1] : []

    content {
      sid    = "NeverDeleteStatefulResources"
      effect = "Deny"
      actions = [
        "eks:DeleteCluster", "elasticache:DeleteReplicationGroup", "elasticache:DeleteCacheCluster",
        "s3:DeleteBucket", "secretsmanager:DeleteSecret", "kms:ScheduleKeyDeletion", "kms:DisableKey",
      ]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "ci_apply" {
  name   = "${var.name_prefix}-ci-apply-write"
  role   = aws_iam_role.ci["apply"].id
  policy = data.aws_iam_policy_document.apply.json
}
