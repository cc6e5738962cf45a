provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "kvapi"
      Environment = "shared"
      ManagedBy   = "terraform"
      Repository  = var.github_repository
    }
  }
}
