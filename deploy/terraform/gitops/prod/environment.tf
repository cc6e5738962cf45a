locals {
  environment_name = "prod"
  # The state of environments/prod, whose outputs (cluster, VPC, Loki's bucket) this root reads.
  environment_state_key = "kvapi/prod/terraform.tfstate"
}
