# EKS Pod Identity roles: one per workload, each allowed exactly its own data.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

data "aws_iam_policy_document" "pod_identity_trust" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]

    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

data "aws_iam_policy_document" "secret_reader" {
  statement {
    sid       = "ReadTheKvapiSecret"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = [var.secret_arn]
  }

  statement {
    sid       = "DecryptItThroughSecretsManagerOnly"
    actions   = ["kms:Decrypt"]
    resources = [var.secret_kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${data.aws_region.current.region}.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "loki" {
  statement {
    sid       = "ListTheLogBucket"
    actions   = ["s3:ListBucket"]
    resources = [var.loki_bucket_arn]
  }

  statement {
    sid       = "ReadWriteChunksAndIndex"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.loki_bucket_arn}/*"]
  }

  statement {
    sid       = "UseTheBucketKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.loki_kms_key_arn]
  }
}

# The AWS Load Balancer Controller's policy is upstream's, verbatim: kubernetes-sigs/
# aws-load-balancer-controller docs/install/iam_policy.json at v2.13.4 (identical through v2.17.1),
# for the controller version deploy/gitops installs. Its ARNs say `arn:aws:`; the partition
# replaces that prefix (upstream's us-gov file differs from this one only so). Most of its writes
# are conditioned on the `elbv2.k8s.aws/cluster` tag the controller puts on what it creates.
locals {
  load_balancer_controller_policy = replace(
    file("${path.module}/policies/aws-load-balancer-controller-v2.13.4.json"),
    "arn:aws:", "arn:${data.aws_partition.current.partition}:"
  )

  workloads = {
    secret-reader            = merge(var.secret_reader, { policy = data.aws_iam_policy_document.secret_reader.json })
    loki                     = merge(var.loki, { policy = data.aws_iam_policy_document.loki.json })
    load-balancer-controller = merge(var.load_balancer_controller, { policy = local.load_balancer_controller_policy })
  }
}

resource "aws_iam_role" "workload" {
  for_each = local.workloads

  name               = "${var.name_prefix}-${each.key}"
  description        = "EKS Pod Identity role of ${each.value.namespace}/${each.value.service_account}"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_trust.json
}

resource "aws_iam_role_policy" "workload" {
  for_each = local.workloads

  name   = "${var.name_prefix}-${each.key}"
  role   = aws_iam_role.workload[each.key].id
  policy = each.value.policy
}

resource "aws_eks_pod_identity_association" "workload" {
  for_each = local.workloads

  cluster_name    = var.cluster_name
  namespace       = each.value.namespace
  service_account = each.value.service_account
  role_arn        = aws_iam_role.workload[each.key].arn
}
