locals {
  environment_name = "staging"
  # The state of environments/staging, whose outputs (cluster, VPC, Loki's bucket) this root reads.
  environment_state_key = "kvapi/staging/terraform.tfstate"
}
