# Inputs every root (bootstrap and the three environments) has; linked into each of them.

variable "region" {
  description = "AWS region; the state bucket (bootstrap) and every environment live in the same one."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "Give an AWS region name such as us-east-1."
  }
}

variable "github_repository" {
  description = "GitHub repository (`owner/name`) whose workflows plan, apply and deploy."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "Give the repository as owner/name."
  }
}
