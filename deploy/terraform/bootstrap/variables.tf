variable "region" {
  description = "Region of the state bucket; the environments' backend blocks name the same region."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "Give an AWS region name such as us-east-1."
  }
}

variable "github_repository" {
  description = "GitHub repository (`owner/name`) whose workflows will use the OIDC provider."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "Give the repository as owner/name."
  }
}

variable "noncurrent_state_days" {
  description = "Days old state versions are kept, to roll back a bad apply."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_state_days >= 30
    error_message = "Keep old state versions at least 30 days."
  }
}
