data "aws_caller_identity" "current" {}

locals {
  name = "kvapi-${var.environment}"
}

module "logs_key" {
  source = "../kms-key"

  alias                 = "${local.name}-logs"
  description           = "Encrypts ${local.name}'s CloudWatch log groups (EKS control plane, VPC flow logs)"
  allow_cloudwatch_logs = true
}

module "network" {
  source = "../network"

  name                    = local.name
  cidr                    = var.vpc_cidr
  azs                     = var.azs
  single_nat_gateway      = var.single_nat_gateway
  logs_kms_key_arn        = module.logs_key.arn
  flow_log_retention_days = var.log_retention_days
}

module "cluster" {
  source = "../cluster"

  name                     = local.name
  kubernetes_version       = var.kubernetes_version
  vpc_id                   = module.network.vpc_id
  node_subnet_ids          = module.network.private_subnet_ids
  control_plane_subnet_ids = module.network.intra_subnet_ids
  public_access_cidrs      = var.api_public_access_cidrs
  admin_role_arns          = var.cluster_admin_role_arns
  node_architecture        = var.nodes.architecture
  node_instance_types      = var.nodes.instance_types
  node_min_size            = var.nodes.min_size
  node_max_size            = var.nodes.max_size
  node_desired_size        = var.nodes.desired_size
  logs_kms_key_arn         = module.logs_key.arn
  log_retention_days       = var.log_retention_days
  deletion_protection      = var.deletion_protection
  tags                     = var.tags
}

module "redis" {
  source = "../redis"

  name                       = local.name
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.intra_subnet_ids
  allowed_security_group_ids = { eks_nodes = module.cluster.node_security_group_id }
  node_type                  = var.redis.node_type
  node_count                 = var.redis.node_count
  cluster_mode               = var.redis.cluster_mode
  shards                     = var.redis.shards
  replicas_per_shard         = var.redis.replicas_per_shard
  multi_az                   = var.redis.multi_az
  snapshot_retention_days    = var.redis.snapshot_retention_days
  write_token_count          = var.redis.write_token_count
  final_snapshot             = var.deletion_protection
  secret_name                = "kvapi/${var.environment}/redis"
}

module "logs_bucket" {
  source = "../logs-bucket"

  # The account ID makes the globally shared bucket name unique.
  name = "${local.name}-loki-${data.aws_caller_identity.current.account_id}"
}

module "identities" {
  source = "../identities"

  name_prefix                = local.name
  cluster_name               = module.cluster.cluster_name
  secret_arn                 = module.redis.secret_arn
  secret_kms_key_arn         = module.redis.kms_key_arn
  loki_bucket_arn            = module.logs_bucket.bucket_arn
  loki_kms_key_arn           = module.logs_bucket.kms_key_arn
  github_repository          = var.github_repository
  github_apply_environment   = var.github_apply_environment
  github_oidc_provider_arn   = var.github_oidc_provider_arn
  state                      = var.state
  protect_stateful_resources = var.deletion_protection
}
