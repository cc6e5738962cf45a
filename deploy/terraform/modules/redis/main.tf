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

# A key-value store, not a cache: refuse writes when full instead of silently evicting keys.
resource "aws_elasticache_parameter_group" "this" {
  name        = "${var.name}-valkey8"
  family      = "valkey8"
  description = "${var.name}: no eviction"

  parameter {
    name  = "maxmemory-policy"
    value = "noeviction"
  }
}

resource "aws_elasticache_replication_group" "this" {
  #checkov:skip=CKV2_AWS_50:Failover is on whenever there are replicas (node_count > 1); staging and prod have them (asserted by tests/deploy/test_terraform.py), dev runs one node on purpose.
  replication_group_id = var.name
  description          = "kvapi key-value store (${var.name})"

  engine               = "valkey"
  engine_version       = var.engine_version
  node_type            = var.node_type
  port                 = 6379
  parameter_group_name = aws_elasticache_parameter_group.this.name
  subnet_group_name    = aws_elasticache_subnet_group.this.name
  security_group_ids   = [aws_security_group.this.id]

  num_cache_clusters         = var.node_count
  automatic_failover_enabled = var.node_count > 1
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
  description             = "kvapi settings for ${var.name}: KVAPI_REDIS_URL and KVAPI_WRITE_TOKENS (read by External Secrets)"
  kms_key_id              = module.key.arn
  recovery_window_in_days = var.secret_recovery_days
}

resource "aws_secretsmanager_secret_version" "this" {
  secret_id = aws_secretsmanager_secret.this.id
  secret_string = jsonencode({
    KVAPI_REDIS_URL    = "rediss://:${random_password.auth_token.result}@${aws_elasticache_replication_group.this.primary_endpoint_address}:6379/0"
    KVAPI_WRITE_TOKENS = join(",", random_password.write_token[*].result)
  })
}
