locals {
  # Required on every resource (tests/deploy/test_terraform.py checks the keys).
  tags = {
    Project     = "kvapi"
    Environment = local.environment_name
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

# As terraform-aws-modules/eks's examples configure it for helm provider v3: `kubernetes` is an
# attribute (an object), and the token comes from `aws eks get-token` with the caller's
# credentials, which need an access entry (a cluster_admin_role_arns role).
provider "helm" {
  kubernetes = {
    host                   = data.aws_eks_cluster.this.endpoint
    cluster_ca_certificate = base64decode(data.aws_eks_cluster.this.certificate_authority[0].data)

    exec = {
      api_version = "client.authentication.k8s.io/v1beta1"
      command     = "aws"
      args        = ["eks", "get-token", "--cluster-name", data.aws_eks_cluster.this.name, "--region", var.region]
    }
  }
}
