# The AUTH token and the write tokens are deliberately not outputs: they live only in the secret.

output "primary_endpoint_address" {
  description = "DNS name of the primary (writes); it follows failovers. Null in cluster mode."
  value       = aws_elasticache_replication_group.this.primary_endpoint_address
}

output "reader_endpoint_address" {
  description = "DNS name that spreads reads over the replicas. Null in cluster mode."
  value       = aws_elasticache_replication_group.this.reader_endpoint_address
}

output "configuration_endpoint_address" {
  description = "Cluster mode: DNS name of the configuration endpoint, from which clients discover every shard. Null without cluster mode."
  value       = aws_elasticache_replication_group.this.configuration_endpoint_address
}

output "endpoint_address" {
  description = "What kvapi connects to: the configuration endpoint in cluster mode, else the primary endpoint."
  value       = local.endpoint_address
}

output "cluster_mode" {
  description = "Whether the replication group shards its keys (kvapi then runs with KVAPI_REDIS_CLUSTER=true, written into the secret)."
  value       = var.cluster_mode
}

output "port" {
  description = "TCP port of the endpoints (TLS required)."
  value       = aws_elasticache_replication_group.this.port
}

output "secret_name" {
  description = "Name of the Secrets Manager secret with KVAPI_REDIS_URL and KVAPI_WRITE_TOKENS."
  value       = aws_secretsmanager_secret.this.name
}

output "secret_arn" {
  description = "ARN of that secret, for IAM policies."
  value       = aws_secretsmanager_secret.this.arn
}

output "kms_key_arn" {
  description = "ARN of the key encrypting the cache and the secret; secret readers need kms:Decrypt on it."
  value       = module.key.arn
}

output "security_group_id" {
  description = "Security group of the cache nodes."
  value       = aws_security_group.this.id
}
