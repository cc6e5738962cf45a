module "key" {
  source = "../kms-key"

  alias       = "${var.name}-redis"
  description = "Encrypts ${var.name}'s ElastiCache data at rest and its Secrets Manager secret"
}

# Alphanumeric only: ElastiCache refuses some punctuation in AUTH tokens, and the token goes
# into a URL unescaped.
resource "random_password" "auth_token" {
  length  = 64
  special = false
}

resource "random_password" "write_token" {
  count = var.write_token_count

  length  = 48
  special = false
}

resource "aws_elasticache_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
}

resource "aws_security_group" "this" {
  name        = "${var.name}-redis"
  description = "${var.name} ElastiCache: 6379 from the named client security groups only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "clients" {
  for_each = var.allowed_security_group_ids

  security_group_id            = aws_security_group.this.id
  description                  = "Valkey over TLS from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = each.value
}

locals {
  # Cluster mode needs automatic failover; without it, failover needs a replica.
  automatic_failover = var.cluster_mode || coalesce(var.node_count, 1) > 1
  # What clients connect to: cluster mode's configuration endpoint finds every shard.
  endpoint_address = (var.cluster_mode
    ? aws_elasticache_replication_group.this.configuration_endpoint_address
  : aws_elasticache_replication_group.this.primary_endpoint_address)
}

# A key-value store, not a cache: refuse writes when full instead of silently evicting keys.
# Cluster mode is the parameter group's cluster-enabled; a replication group cannot switch it
# in place, so the group gets another name and is created before the old one goes.
resource "aws_elasticache_parameter_group" "this" {
  name        = "${var.name}-valkey8${var.cluster_mode ? "-cluster" : ""}"
  family      = "valkey8"
  description = "${var.name}: no eviction${var.cluster_mode ? ", cluster mode" : ""}"

  parameter {
    name  = "maxmemory-policy"
    value = "noeviction"
  }

  dynamic "parameter" {
    for_each = var.cluster_mode ? ["yes"] : []
    content {
      name  = "cluster-enabled"
      value = parameter.value
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_elasticache_replication_group" "this" {
  #checkov:skip=CKV2_AWS_50:Failover is on whenever there are replicas (node_count > 1) and always in cluster mode; staging and prod have them (asserted by tests/deploy/test_terraform.py), dev runs one node on purpose.
  replication_group_id = var.name
  description          = "kvapi key-value store (${var.name})"

  engine               = "valkey"
  engine_version       = var.engine_version
  node_type            = var.node_type
  port                 = 6379
  parameter_group_name = aws_elasticache_parameter_group.this.name
  subnet_group_name    = aws_elasticache_subnet_group.this.name
  security_group_ids   = [aws_security_group.this.id]

  cluster_mode               = var.cluster_mode ? "enabled" : "disabled"
  num_cache_clusters         = var.cluster_mode ? null : var.node_count
  num_node_groups            = var.cluster_mode ? var.shards : null
  replicas_per_node_group    = var.cluster_mode ? var.replicas_per_shard : null
  automatic_failover_enabled = local.automatic_failover
  multi_az_enabled           = var.multi_az

  at_rest_encryption_enabled = true
  kms_key_id                 = module.key.arn
  transit_encryption_enabled = true
  transit_encryption_mode    = "required"
  auth_token                 = random_password.auth_token.result
  auth_token_update_strategy = "ROTATE"

  snapshot_retention_limit  = var.snapshot_retention_days
  snapshot_window           = var.snapshot_window
  maintenance_window        = var.maintenance_window
  final_snapshot_identifier = var.final_snapshot ? "${var.name}-final" : null

  auto_minor_version_upgrade = true
  apply_immediately          = false
}

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:No rotation Lambda: rotating the AUTH token is a two-step ElastiCache change (ROTATE, then SET) driven by Terraform, see docs/terraform.md.
  name                    = var.secret_name
  description             = "kvapi settings for ${var.name}: KVAPI_REDIS_URL, KVAPI_REDIS_CLUSTER and KVAPI_WRITE_TOKENS (read by External Secrets)"
  kms_key_id              = module.key.arn
  recovery_window_in_days = var.secret_recovery_days
}

resource "aws_secretsmanager_secret_version" "this" {
  secret_id = aws_secretsmanager_secret.this.id
  secret_string = jsonencode({
    KVAPI_REDIS_URL     = "rediss://:${random_password.auth_token.result}@${local.endpoint_address}:6379/0"
    KVAPI_REDIS_CLUSTER = var.cluster_mode ? "true" : "false"
    KVAPI_WRITE_TOKENS  = join(",", random_password.write_token[*].result)
  })
}
