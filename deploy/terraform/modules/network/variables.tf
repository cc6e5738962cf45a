variable "name" {
  description = "Name of the VPC and prefix of its subnets (e.g. `kvapi-prod`)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,38}$", var.name))
    error_message = "Use 3 to 39 lowercase letters, digits and '-', starting with a letter."
  }
}

variable "cidr" {
  description = "IPv4 block of the VPC, a /16; private /20s, public and intra /24s are carved from it."
  type        = string

  validation {
    condition     = can(cidrhost(var.cidr, 0)) && endswith(var.cidr, "/16")
    error_message = "Give a /16 IPv4 block such as 10.30.0.0/16."
  }
}

variable "azs" {
  description = "The three availability zones to spread subnets over."
  type        = list(string)

  validation {
    condition     = length(var.azs) == 3 && length(distinct(var.azs)) == 3
    error_message = "Give exactly three distinct availability zones."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for the whole VPC (dev: cheaper, one zone's outage cuts egress) instead of one per zone."
  type        = bool
}

variable "logs_kms_key_arn" {
  description = "KMS key that encrypts the flow-log CloudWatch log group."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.logs_kms_key_arn))
    error_message = "Give the ARN of a KMS key (arn:aws:kms:...)."
  }
}

variable "flow_log_retention_days" {
  description = "Days VPC flow logs are kept in CloudWatch Logs."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "CloudWatch Logs accepts only its fixed retention values (e.g. 30, 90, 365)."
  }
}
