# Roots pin every provider exactly, including those only the registry modules use (tls, time,
# cloudinit, null come from terraform-aws-modules/eks 21.19.0), so that every init resolves the
# same builds without a committed lock file; the modules keep ranges (docs/terraform.md, Versions).
terraform {
  required_version = "~> 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "6.28.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "3.9.0"
    }
    tls = {
      source  = "hashicorp/tls"
      version = "4.2.1"
    }
    time = {
      source  = "hashicorp/time"
      version = "0.14.0"
    }
    cloudinit = {
      source  = "hashicorp/cloudinit"
      version = "2.4.0"
    }
    null = {
      source  = "hashicorp/null"
      version = "3.3.1"
    }
  }
}
