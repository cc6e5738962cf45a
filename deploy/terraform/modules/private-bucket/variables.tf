variable "name" {
  description = "Globally unique bucket name."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name)) && !can(regex("\\.\\.", var.name))
    error_message = "S3 bucket names are 3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit."
  }
}

variable "kms_key_arn" {
  description = "ARN of the KMS key that encrypts every object (SSE-KMS, with an S3 Bucket Key)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "Give the ARN of a KMS key (arn:aws:kms:...)."
  }
}

variable "lifecycle_rules" {
  description = "Lifecycle rules applied to the whole bucket: storage-class transitions, expiry of current objects, expiry of noncurrent versions."
  type = list(object({
    id = string
    transitions = optional(list(object({
      days          = number
      storage_class = string
    })), [])
    expiration_days            = optional(number)
    noncurrent_expiration_days = number
  }))

  validation {
    condition     = length(var.lifecycle_rules) > 0
    error_message = "Give at least one lifecycle rule, so that old versions do not pile up forever."
  }

  validation {
    condition = alltrue(flatten([
      for rule in var.lifecycle_rules : [
        for t in rule.transitions : contains(["STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"], t.storage_class)
      ]
    ]))
    error_message = "Each transition needs an S3 storage class such as GLACIER_IR or STANDARD_IA."
  }

  validation {
    condition = alltrue(flatten([
      for rule in var.lifecycle_rules : [
        for t in rule.transitions : rule.expiration_days == null || t.days < rule.expiration_days
      ]
    ]))
    error_message = "A transition must happen before the objects expire."
  }
}
