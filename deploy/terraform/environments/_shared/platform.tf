data "aws_partition" "current" {}

module "platform" {
  source = "../../modules/platform"

  environment              = local.environment
  azs                      = var.azs
  api_public_access_cidrs  = var.api_public_access_cidrs
  cluster_admin_role_arns  = var.cluster_admin_role_arns
  github_repository        = var.github_repository
  github_apply_environment = local.github_apply_environment
  github_oidc_provider_arn = var.github_oidc_provider_arn
  tags                     = local.tags

  state = {
    bucket_arn  = "arn:${data.aws_partition.current.partition}:s3:::${var.state_bucket_name}"
    key         = local.state_key
    kms_key_arn = var.state_kms_key_arn
  }

  vpc_cidr            = local.sizing.vpc_cidr
  single_nat_gateway  = local.sizing.single_nat_gateway
  kubernetes_version  = local.sizing.kubernetes_version
  nodes               = local.sizing.nodes
  redis               = local.sizing.redis
  deletion_protection = local.sizing.deletion_protection
  log_retention_days  = local.sizing.log_retention_days
}
