locals {
  # Required on every resource (tests/deploy/test_terraform.py checks the keys).
  tags = {
    Project     = "kvapi"
    Environment = local.environment
    ManagedBy   = "terraform"
    Repository  = var.github_repository
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = local.tags
  }
}
