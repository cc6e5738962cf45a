# staging: prod's shape (Multi-AZ cache with failover, NAT per zone) on smaller machines.
locals {
  environment = "staging"
  state_key   = "kvapi/staging/terraform.tfstate"
  # terraform.yml applies this environment only in the GitHub environment of this name.
  github_apply_environment = "terraform-staging"

  sizing = {
    vpc_cidr            = "10.20.0.0/16"
    single_nat_gateway  = false
    kubernetes_version  = "1.37"
    nodes               = { architecture = "x86_64", instance_types = ["t3.large"], min_size = 3, max_size = 4, desired_size = 3 }
    redis               = { node_type = "cache.t4g.small", node_count = 2, multi_az = true, snapshot_retention_days = 3, write_token_count = 2 }
    deletion_protection = false
    log_retention_days  = 30
  }
}
