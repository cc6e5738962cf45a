# prod: a node per zone at least, a cache primary and a replica in other zones with automatic
# failover, everything stateful protected from deletion.
locals {
  environment = "prod"
  state_key   = "kvapi/prod/terraform.tfstate"
  # terraform.yml applies this environment only in the GitHub environment of this name.
  github_apply_environment = "terraform-prod"

  sizing = {
    vpc_cidr            = "10.30.0.0/16"
    single_nat_gateway  = false
    kubernetes_version  = "1.37"
    nodes               = { architecture = "x86_64", instance_types = ["m7i.large"], min_size = 3, max_size = 6, desired_size = 3 }
    redis               = { node_type = "cache.m7g.large", node_count = 2, multi_az = true, snapshot_retention_days = 14, write_token_count = 2 }
    deletion_protection = true
    log_retention_days  = 90
  }
}
