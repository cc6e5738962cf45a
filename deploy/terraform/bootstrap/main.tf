# Run once per AWS account, with local state (it creates the bucket the other states live in);
# docs/terraform.md says how its own state is then kept.

data "aws_caller_identity" "current" {}

module "state_key" {
  source = "../modules/kms-key"

  # The environments' backend blocks name this alias (kms_key_id).
  alias       = "kvapi-terraform-state"
  description = "Encrypts the kvapi Terraform state bucket"
}

module "state_bucket" {
  source = "../modules/private-bucket"

  name        = "kvapi-terraform-state-${data.aws_caller_identity.current.account_id}"
  kms_key_arn = module.state_key.arn
  lifecycle_rules = [{
    id                         = "keep-old-state-versions-${var.noncurrent_state_days}d"
    noncurrent_expiration_days = var.noncurrent_state_days
  }]
}

# One per account: lets GitHub Actions exchange its OIDC token for the CI roles of each
# environment (modules/identities), so no AWS keys are stored in GitHub.
resource "aws_iam_openid_connect_provider" "github" {
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
}
