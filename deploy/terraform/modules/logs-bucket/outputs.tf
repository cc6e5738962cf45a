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
  description = "Age at which objects expire; Loki's retention_period must match."
  value       = var.retention_days
}
