output "arn" {
  description = "ARN of the key; give it to resources that take `kms_key_id` or `kms_key_arn`."
  value       = aws_kms_key.this.arn
}

output "alias_name" {
  description = "Full alias of the key (`alias/...`)."
  value       = aws_kms_alias.this.name
}
