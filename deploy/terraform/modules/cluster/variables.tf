variable "name" {
  description = "Name of the EKS cluster (e.g. `kvapi-prod`)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,99}$", var.name))
    error_message = "EKS cluster names start with a letter and hold letters, digits and '-' (at most 100)."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version; must be in EKS standard support (see docs/DESIGN.md, Versions)."
  type        = string

  validation {
    condition     = can(regex("^1\\.(3[5-9]|[4-9][0-9])$", var.kubernetes_version))
    error_message = "Give a minor version such as 1.37; 1.34 and older leave EKS standard support by 2026-12-02."
  }
}

variable "vpc_id" {
  description = "VPC of the cluster."
  type        = string

  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "Give a VPC ID (vpc-...)."
  }
}

variable "node_subnet_ids" {
  description = "Private subnets for the managed nodes (and their pods), one per zone."
  type        = list(string)

  validation {
    condition     = length(var.node_subnet_ids) >= 2
    error_message = "Spread the nodes over at least two zones."
  }
}

variable "control_plane_subnet_ids" {
  description = "Subnets for the control plane's network interfaces (the intra subnets)."
  type        = list(string)

  validation {
    condition     = length(var.control_plane_subnet_ids) >= 2
    error_message = "EKS needs control-plane subnets in at least two zones."
  }
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach the public API endpoint (office, VPN, CI egress); empty keeps the endpoint private only."
  type        = list(string)

  validation {
    condition     = alltrue([for c in var.public_access_cidrs : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "Give IPv4 CIDRs, and never 0.0.0.0/0: the public endpoint is restricted."
  }
}

variable "admin_role_arns" {
  description = "IAM roles granted cluster admin through EKS access entries, keyed by a short name (e.g. `platform-team`)."
  type        = map(string)

  validation {
    condition     = alltrue([for arn in values(var.admin_role_arns) : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", arn))])
    error_message = "Each admin must be an IAM role ARN."
  }
}

variable "node_architecture" {
  description = "CPU architecture of the managed nodes: `x86_64`, or `arm64` for Graviton (AL2023 ARM AMI); the image is built for both."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.node_architecture)
    error_message = "node_architecture is x86_64 or arm64."
  }
}

variable "node_instance_types" {
  description = "Instance types of the managed node group, all of `node_architecture`: Graviton families (m7g, t4g, c8g, ...) for arm64, others for x86_64."
  type        = list(string)

  validation {
    condition     = length(var.node_instance_types) > 0
    error_message = "Give at least one instance type."
  }

  # Graviton families carry a `g` right after the generation digit (t4g, m7g, c7gn, r8gd, im4gn).
  validation {
    condition = alltrue([
      for type in var.node_instance_types :
      can(regex("^[a-z]+[0-9]+g[a-z-]*\\.", type)) == (var.node_architecture == "arm64")
    ])
    error_message = "Every instance type must match node_architecture: Graviton types (t4g, m7g, ...) for arm64 only, others for x86_64 only."
  }
}

variable "node_min_size" {
  description = "Fewest nodes."
  type        = number

  validation {
    condition     = var.node_min_size >= 1
    error_message = "Keep at least one node."
  }
}

variable "node_max_size" {
  description = "Most nodes."
  type        = number

  validation {
    condition     = var.node_max_size >= var.node_min_size
    error_message = "node_max_size must be at least node_min_size."
  }
}

variable "node_desired_size" {
  description = "Nodes at creation (later changes come from the autoscaler, not from Terraform)."
  type        = number

  validation {
    condition     = var.node_desired_size >= var.node_min_size && var.node_desired_size <= var.node_max_size
    error_message = "node_desired_size must lie between node_min_size and node_max_size."
  }
}

variable "node_disk_gib" {
  description = "Size of each node's encrypted gp3 root volume in GiB."
  type        = number
  default     = 50

  validation {
    condition     = var.node_disk_gib >= 20
    error_message = "AL2023 nodes need at least 20 GiB."
  }
}

variable "logs_kms_key_arn" {
  description = "KMS key that encrypts the control-plane log group."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.logs_kms_key_arn))
    error_message = "Give the ARN of a KMS key (arn:aws:kms:...)."
  }
}

variable "log_retention_days" {
  description = "Days control-plane logs are kept in CloudWatch Logs."
  type        = number
  default     = 90

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731], var.log_retention_days)
    error_message = "CloudWatch Logs accepts only its fixed retention values (e.g. 30, 90, 365)."
  }
}

variable "deletion_protection" {
  description = "Refuse DeleteCluster until protection is turned off (EKS deletion protection)."
  type        = bool
}

variable "tags" {
  description = "Tags for what the node groups launch (instances and volumes do not inherit provider default tags)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) <= 128 && length(v) <= 256])
    error_message = "EC2 tag keys hold at most 128 characters and values 256."
  }
}
