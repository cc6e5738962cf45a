variable "alias" {
  description = "Alias of the key, without the `alias/` prefix (e.g. `kvapi-prod-redis`)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]{1,250}$", var.alias)) && !startswith(var.alias, "aws/")
    error_message = "The alias may hold letters, digits, '/', '_' and '-', and must not start with 'aws/'."
  }
}

variable "description" {
  description = "What the key protects, shown in the KMS console."
  type        = string

  validation {
    condition     = length(trimspace(var.description)) > 0
    error_message = "Describe what the key protects."
  }
}

variable "deletion_window_in_days" {
  description = "Days a scheduled key deletion waits before the key is gone (7 to 30)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "KMS accepts a deletion window of 7 to 30 days."
  }
}

variable "allow_cloudwatch_logs" {
  description = "Let CloudWatch Logs in this region encrypt this account's log groups with the key."
  type        = bool
  default     = false
}
