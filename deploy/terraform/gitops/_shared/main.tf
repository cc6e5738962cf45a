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

  # Relative to this root (deploy/terraform/gitops/<env>): the values committed with the
  # Applications they configure.
  argo_cd_values = file("${path.root}/../../../gitops/argocd/values.yaml")
  region         = local.environment.region
  loki_bucket    = local.environment.loki_bucket_name
}
