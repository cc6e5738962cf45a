locals {
  environment_name = "dev"
  # The state of environments/dev, whose outputs (cluster, VPC, Loki's bucket) this root reads.
  environment_state_key = "kvapi/dev/terraform.tfstate"
}
