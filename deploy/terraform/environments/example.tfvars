# Copy to environments/<env>/terraform.tfvars (git ignores it) and fill in; nothing here is secret.
github_repository        = "change-me-owner/kvapi"
github_oidc_provider_arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
state_bucket_name        = "kvapi-terraform-state-123456789012"
state_kms_key_arn        = "arn:aws:kms:us-east-1:123456789012:key/change-me"
cluster_admin_role_arns  = { platform = "arn:aws:iam::123456789012:role/change-me-platform-admins" }
api_public_access_cidrs  = ["198.51.100.0/24"] # office or VPN egress; [] keeps the API private
