variable "environment" {
  description = "Environment name; it names every resource (`kvapi-<environment>`) and the secret (`kvapi/<environment>/redis`)."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "The environments are dev, staging and prod."
  }
}

variable "vpc_cidr" {
  description = "The environment's /16 (distinct per environment, so they can be peered later)."
  type        = string
}

variable "azs" {
  description = "Three availability zones of the region."
  type        = list(string)
}

variable "single_nat_gateway" {
  description = "One NAT gateway (dev) instead of one per zone."
  type        = bool
}

variable "kubernetes_version" {
  description = "EKS Kubernetes minor version (docs/DESIGN.md, Versions)."
  type        = string
}

variable "api_public_access_cidrs" {
  description = "CIDRs allowed to the public Kubernetes API endpoint; empty for a private-only endpoint."
  type        = list(string)
}

variable "cluster_admin_role_arns" {
  description = "IAM roles with cluster-admin access entries, keyed by a short name."
  type        = map(string)
}

variable "nodes" {
  description = "Managed node group: CPU architecture (`x86_64` or `arm64` for Graviton), instance types of that architecture, sizing."
  type = object({
    architecture   = string
    instance_types = list(string)
    min_size       = number
    max_size       = number
    desired_size   = number
  })
}

variable "redis" {
  description = "ElastiCache sizing: node type, node count (primary + replicas) or, in cluster mode, shards and replicas per shard, Multi-AZ failover, snapshot retention, and how many write tokens to generate (two let clients move to a new token before the old one is replaced)."
  type = object({
    node_type               = string
    node_count              = optional(number)
    cluster_mode            = optional(bool, false)
    shards                  = optional(number, 1)
    replicas_per_shard      = optional(number, 1)
    multi_az                = bool
    snapshot_retention_days = number
    write_token_count       = number
  })
}

variable "deletion_protection" {
  description = "Protect stateful resources: EKS deletion protection, a final ElastiCache snapshot, and a CI role that may not delete them."
  type        = bool
}

variable "log_retention_days" {
  description = "CloudWatch retention of EKS control-plane logs and VPC flow logs."
  type        = number
}

variable "github_repository" {
  description = "GitHub repository (`owner/name`) whose terraform.yml may plan and apply."
  type        = string
}

variable "github_apply_environment" {
  description = "GitHub environment of terraform.yml's apply job for this environment (`terraform-<env>`); only its jobs may assume the CI apply role."
  type        = string
}

variable "github_oidc_provider_arn" {
  description = "ARN of the GitHub Actions OIDC provider (bootstrap output)."
  type        = string
}

variable "state" {
  description = "This environment's state: bucket ARN, key, KMS key ARN (for the CI roles)."
  type = object({
    bucket_arn  = string
    key         = string
    kms_key_arn = string
  })
}

variable "tags" {
  description = "Tags for instances and volumes the node groups launch."
  type        = map(string)
}
