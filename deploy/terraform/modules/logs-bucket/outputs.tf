output "bucket_name" {
  description = "Name of the bucket; Loki's `storage_config.aws.bucketnames`."
  value       = module.bucket.name
}

output "bucket_arn" {
  description = "ARN of the bucket, for Loki's IAM policy."
  value       = module.bucket.arn
}

output "kms_key_arn" {
  description = "ARN of the key that encrypts the bucket; Loki's role needs kms:Decrypt and kms:GenerateDataKey on it."
  value       = module.key.arn
}

output "hot_days" {
  description = "Days in S3 Standard before the move to Glacier Instant Retrieval."
  value       = var.hot_days
}

output "retention_days" {
  description = "Loki's retention in days; its limits_config.retention_period must match (2160h for 90)."
  value       = var.retention_days
}

output "expiration_days" {
  description = "Age in days at which the bucket itself deletes objects (after Loki's retention)."
  value       = var.retention_days + var.expiry_margin_days
}
