output "state_bucket_name" {
  description = "State bucket: pass it to `terraform init -backend-config=bucket=...` and as `state_bucket_name`."
  value       = module.state_bucket.name
}

output "state_kms_key_arn" {
  description = "KMS key encrypting the state (the environments' `state_kms_key_arn`)."
  value       = module.state_key.arn
}

output "github_oidc_provider_arn" {
  description = "GitHub Actions OIDC provider (the environments' `github_oidc_provider_arn`)."
  value       = aws_iam_openid_connect_provider.github.arn
}
