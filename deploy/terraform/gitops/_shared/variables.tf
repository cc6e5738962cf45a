variable "state_bucket_name" {
  description = "State bucket created by bootstrap/ (the same name given to `terraform init -backend-config=bucket=...`); the environment's outputs are read from it."
  type        = string
}
