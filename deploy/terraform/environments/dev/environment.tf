# dev: smallest that still exercises the real design; one NAT gateway, one cache node.
locals {
  environment        = "dev"
  state_key          = "kvapi/dev/terraform.tfstate"
  github_environment = "dev"

  sizing = {
    vpc_cidr            = "10.10.0.0/16"
    single_nat_gateway  = true
    kubernetes_version  = "1.37"
    nodes               = { instance_types = ["t3.large"], min_size = 2, max_size = 3, desired_size = 2 }
    redis               = { node_type = "cache.t4g.small", node_count = 1, multi_az = false, snapshot_retention_days = 1, write_token_count = 1 }
    deletion_protection = false
    log_retention_days  = 30
  }
}
