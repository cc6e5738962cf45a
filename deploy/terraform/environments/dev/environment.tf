# dev: smallest that still exercises the real design; one NAT gateway, one cache node. Graviton
# nodes (t4g, arm64): the arm64 half of the image CD publishes runs here before it could run in
# staging or prod, which stay on x86_64 (docs/terraform.md, "Node architecture").
locals {
  environment = "dev"
  state_key   = "kvapi/dev/terraform.tfstate"
  # terraform.yml applies this environment only in the GitHub environment of this name.
  github_apply_environment = "terraform-dev"

  sizing = {
    vpc_cidr            = "10.10.0.0/16"
    single_nat_gateway  = true
    kubernetes_version  = "1.37"
    nodes               = { architecture = "arm64", instance_types = ["t4g.large"], min_size = 2, max_size = 3, desired_size = 2 }
    redis               = { node_type = "cache.t4g.small", node_count = 1, multi_az = false, snapshot_retention_days = 1, write_token_count = 1 }
    deletion_protection = false
    log_retention_days  = 30
  }
}
