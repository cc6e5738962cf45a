# The environment's own root (environments/<env>) owns the cluster; this root only reads its
# outputs from the state and installs Argo CD into it. It is separate so that the environment's
# plan, apply and nightly drift check never need the Kubernetes API, whose endpoint stays
# private (ADR 0111): an operator applies this root once per cluster, and again to move a pin.

data "terraform_remote_state" "environment" {
  backend = "s3"

  config = {
    bucket = var.state_bucket_name
    key    = local.environment_state_key
    region = var.region
  }
}

data "aws_caller_identity" "current" {}

locals {
  environment = data.terraform_remote_state.environment.outputs
}

data "aws_eks_cluster" "this" {
  name = local.environment.cluster_name
}

module "gitops_bootstrap" {
  source = "../../modules/gitops-bootstrap"

  environment    = local.environment_name
  repository_url = "https://github.com/${var.github_repository}.git"

  cluster_facts = {
    cluster_name = local.environment.cluster_name
    region       = local.environment.region
    vpc_id       = local.environment.vpc_id
    account_id   = data.aws_caller_identity.current.account_id
    loki_bucket  = local.environment.loki_bucket_name
  }
}
