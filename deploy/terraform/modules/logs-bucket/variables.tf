variable "name" {
  description = "Globally unique name of Loki's chunk and index bucket."
  type        = string

  validation {
    condition     = length(var.name) <= 63 && can(regex("^[a-z0-9][a-z0-9.-]*[a-z0-9]$", var.name))
    error_message = "Give a valid S3 bucket name (lowercase, at most 63 characters)."
  }
}

variable "hot_days" {
  description = "Days objects stay in S3 Standard before moving to Glacier Instant Retrieval (the \"hot\" period)."
  type        = number
  default     = 14

  validation {
    condition     = var.hot_days >= 1
    error_message = "The hot period is at least one day."
  }
}

variable "retention_days" {
  description = "Loki's retention in days (its retention_period: 2160h for 90); the bucket expires objects expiry_margin_days later."
  type        = number
  default     = 90

  validation {
    condition     = var.retention_days > var.hot_days
    error_message = "Objects must outlive the hot period, or nothing is ever archived."
  }
}

variable "expiry_margin_days" {
  description = "Days the bucket's expiration trails Loki's retention, so that Loki's compactor deletes first and no index entry points at a chunk S3 already removed."
  type        = number
  default     = 1

  validation {
    condition     = var.expiry_margin_days >= 1
    error_message = "Loki's documentation asks for a bucket expiration longer than the retention period."
  }
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object version is kept (undo window for compactor rewrites and mistakes)."
  type        = number
  default     = 7

  validation {
    condition     = var.noncurrent_version_days >= 1 && var.noncurrent_version_days <= 30
    error_message = "Keep noncurrent versions between 1 and 30 days."
  }
}
