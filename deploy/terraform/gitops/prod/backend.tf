# Partial configuration: the bucket name comes from bootstrap/ at init time
#   terraform init -backend-config="bucket=<state_bucket_name>"
terraform {
  backend "s3" {
    key          = "kvapi/prod/gitops.tfstate"
    region       = "us-east-1"
    encrypt      = true
    kms_key_id   = "alias/kvapi-terraform-state"
    use_lockfile = true
  }
}
