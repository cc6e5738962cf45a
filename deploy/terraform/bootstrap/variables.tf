variable "noncurrent_state_days" {
  description = "Days old state versions are kept, to roll back a bad apply."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_state_days >= 30
    error_message = "Keep old state versions at least 30 days."
  }
}
