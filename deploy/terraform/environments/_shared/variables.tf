variable "azs" {
  description = "Three availability zones of the region."
  type        = list(string)
  default     = ["us-east-1a", "us-east-1b", "us-east-1c"]

  validation {
    condition     = length(var.azs) == 3
    error_message = "Give exactly three availability zones."
  }
}

variable "github_oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC provider (`terraform -chdir=bootstrap output -raw github_oidc_provider_arn`)."
  type        = string
}

variable "state_bucket_name" {
  description = "State bucket created by bootstrap/ (the same name given to `terraform init -backend-config=bucket=...`)."
  type        = string
}

variable "state_kms_key_arn" {
  description = "ARN of the KMS key encrypting the state bucket (bootstrap output)."
  type        = string
}

variable "api_public_access_cidrs" {
  description = "CIDRs allowed to the public Kubernetes API endpoint (office, VPN); empty keeps it private."
  type        = list(string)
  default     = []
}

variable "cluster_admin_role_arns" {
  description = "IAM roles given cluster-admin access entries, keyed by a short name (e.g. `{ platform = \"arn:aws:iam::123456789012:role/platform\" }`)."
  type        = map(string)
}
