variable "name" {
  description = "Replication group ID and prefix of its parameter and subnet groups (e.g. `kvapi-prod`)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "ElastiCache IDs are 2 to 40 lowercase letters, digits and single '-', starting with a letter."
  }
}

variable "vpc_id" {
  description = "VPC of the replication group."
  type        = string

  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "Give a VPC ID (vpc-...)."
  }
}

variable "subnet_ids" {
  description = "Subnets of the cache nodes, one per zone (the intra subnets: no route out)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "Give subnets in at least two zones."
  }
}

variable "allowed_security_group_ids" {
  description = "Security groups admitted on 6379, keyed by a static name (e.g. `{ eks_nodes = <node SG> }`); no CIDR is ever admitted."
  type        = map(string)

  validation {
    condition     = length(var.allowed_security_group_ids) > 0
    error_message = "Name at least one client security group, or nothing can reach the cache."
  }
}

variable "node_type" {
  description = "ElastiCache node type (e.g. cache.t4g.small, cache.m7g.large)."
  type        = string

  validation {
    condition     = can(regex("^cache\\.[a-z0-9]+\\.[a-z0-9]+$", var.node_type))
    error_message = "Give an ElastiCache node type such as cache.m7g.large."
  }
}

variable "cluster_mode" {
  description = "Shard the keys over `shards` primaries (Valkey cluster mode; clients connect to the configuration endpoint with KVAPI_REDIS_CLUSTER=true). See docs/operations.md \"Scaling Redis out\"."
  type        = bool
  default     = false
}

variable "node_count" {
  description = "Without cluster mode: nodes in the replication group, one primary plus replicas (1 to 6). Leave null in cluster mode."
  type        = number
  default     = null

  validation {
    condition     = var.cluster_mode ? var.node_count == null : coalesce(var.node_count, 0) >= 1 && coalesce(var.node_count, 0) <= 6
    error_message = "Without cluster mode give node_count 1 to 6; in cluster mode leave it null and set shards and replicas_per_shard."
  }
}

variable "shards" {
  description = "In cluster mode: shards (node groups), each a primary serving a share of the 16384 hash slots (1 to 500; 1 without cluster mode)."
  type        = number
  default     = 1

  validation {
    condition     = var.shards >= 1 && var.shards <= 500 && floor(var.shards) == var.shards && (var.cluster_mode || var.shards == 1)
    error_message = "Give 1 to 500 shards, and more than one only with cluster_mode = true."
  }
}

variable "replicas_per_shard" {
  description = "In cluster mode: replicas of each shard's primary (0 to 5), in other zones with multi_az."
  type        = number
  default     = 1

  validation {
    condition     = var.replicas_per_shard >= 0 && var.replicas_per_shard <= 5 && floor(var.replicas_per_shard) == var.replicas_per_shard
    error_message = "ElastiCache gives each shard 0 to 5 replicas."
  }

  validation {
    condition     = var.cluster_mode || var.replicas_per_shard == 1
    error_message = "replicas_per_shard is for cluster mode; without it node_count sets the replicas."
  }

  validation {
    condition     = var.shards * (1 + var.replicas_per_shard) <= 500
    error_message = "A cluster has at most 500 nodes (shards x (1 + replicas_per_shard))."
  }
}

variable "multi_az" {
  description = "Place replicas in other zones and fail over automatically; needs a replica (node_count >= 2, or replicas_per_shard >= 1 in cluster mode)."
  type        = bool

  validation {
    condition     = !var.multi_az || (var.cluster_mode ? var.replicas_per_shard >= 1 : coalesce(var.node_count, 0) >= 2)
    error_message = "Multi-AZ with automatic failover needs a replica: node_count >= 2, or replicas_per_shard >= 1 in cluster mode."
  }
}

variable "engine_version" {
  description = "Valkey version (see docs/adr/0040-elasticache-valkey.md)."
  type        = string
  default     = "8.2"

  validation {
    condition     = can(regex("^8\\.[0-9]+$", var.engine_version))
    error_message = "The parameter group family is valkey8: give a Valkey 8.x version."
  }
}

variable "snapshot_retention_days" {
  description = "Days daily snapshots are kept (1 to 35)."
  type        = number

  validation {
    condition     = var.snapshot_retention_days >= 1 && var.snapshot_retention_days <= 35
    error_message = "ElastiCache keeps snapshots 1 to 35 days; 0 would turn backups off."
  }
}

variable "snapshot_window" {
  description = "Daily snapshot window, UTC (hh24:mi-hh24:mi, at least 60 minutes, not overlapping the maintenance window)."
  type        = string
  default     = "03:00-04:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.snapshot_window))
    error_message = "Use hh24:mi-hh24:mi, e.g. 03:00-04:00."
  }
}

variable "maintenance_window" {
  description = "Weekly maintenance window, UTC (ddd:hh24:mi-ddd:hh24:mi)."
  type        = string
  default     = "sun:05:00-sun:06:00"

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):[0-2][0-9]:[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):[0-2][0-9]:[0-5][0-9]$", var.maintenance_window))
    error_message = "Use ddd:hh24:mi-ddd:hh24:mi, e.g. sun:05:00-sun:06:00."
  }
}

variable "final_snapshot" {
  description = "Take a final snapshot when the replication group is deleted (ElastiCache has no deletion-protection flag)."
  type        = bool
}

variable "secret_name" {
  description = "Name of the Secrets Manager secret holding KVAPI_REDIS_URL, KVAPI_REDIS_CLUSTER and KVAPI_WRITE_TOKENS (e.g. `kvapi/prod/redis`)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_+=.@-]{1,512}$", var.secret_name))
    error_message = "Secrets Manager names hold letters, digits and /_+=.@-."
  }
}

variable "secret_recovery_days" {
  description = "Days a deleted secret can still be restored (7 to 30)."
  type        = number
  default     = 30

  validation {
    condition     = var.secret_recovery_days >= 7 && var.secret_recovery_days <= 30
    error_message = "Secrets Manager keeps a deleted secret 7 to 30 days."
  }
}

variable "write_token_count" {
  description = "Number of bearer tokens generated into KVAPI_WRITE_TOKENS (more than one lets clients rotate)."
  type        = number
  default     = 1

  validation {
    condition     = var.write_token_count >= 1 && var.write_token_count <= 5
    error_message = "Generate 1 to 5 write tokens."
  }
}
