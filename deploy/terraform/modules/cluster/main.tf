data "aws_partition" "current" {}

locals {
  # EKS managed node groups name the AMI by architecture; Graviton (arm64) runs the arm64 half
  # of the multi-arch image CD publishes.
  ami_types = {
    x86_64 = "AL2023_x86_64_STANDARD"
    arm64  = "AL2023_ARM_64_STANDARD"
  }
}

module "eks" {
  #checkov:skip=CKV_TF_1:A Terraform Registry module, pinned to an exact release version; commit hashes apply to git sources, not to registry modules.
  source  = "terraform-aws-modules/eks/aws"
  version = "21.19.0"

  name                = var.name
  kubernetes_version  = var.kubernetes_version
  deletion_protection = var.deletion_protection

  vpc_id                   = var.vpc_id
  subnet_ids               = var.node_subnet_ids
  control_plane_subnet_ids = var.control_plane_subnet_ids

  # Private endpoint always; the public one only for the listed CIDRs.
  endpoint_private_access      = true
  endpoint_public_access       = length(var.public_access_cidrs) > 0
  endpoint_public_access_cidrs = var.public_access_cidrs

  # Access entries only; the aws-auth ConfigMap is not consulted.
  # Workloads get AWS access through EKS Pod Identity, so no IRSA OIDC provider.
  enable_irsa = false

  authentication_mode                      = "API"
  enable_cluster_creator_admin_permissions = false
  access_entries = {
    for name, arn in var.admin_role_arns : name => {
      principal_arn = arn
      policy_associations = {
        admin = {
          policy_arn   = "arn:${data.aws_partition.current.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
          access_scope = { type = "cluster" }
        }
      }
    }
  }

  # Envelope encryption of Kubernetes Secrets with a KMS key the module creates and rotates.
  create_kms_key          = true
  enable_kms_key_rotation = true
  encryption_config       = { resources = ["secrets"] }

  enabled_log_types                      = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
  cloudwatch_log_group_retention_in_days = var.log_retention_days
  cloudwatch_log_group_kms_key_id        = var.logs_kms_key_arn

  # vpc-cni and the Pod Identity agent must be running before nodes join. The VPC CNI enforces
  # NetworkPolicies only with its network policy agent turned on (EKS User Guide, "Restrict Pod
  # network traffic with Kubernetes network policies": configuration value
  # `"enableNetworkPolicy": "true"`, a string); without it the overlays' policies are accepted
  # and ignored. metrics-server is an EKS community add-on (catalog since 2025-03-31), so EKS
  # installs and upgrades it like the others; everything else comes from Argo CD (ADR 0110).
  addons = {
    coredns                = {}
    kube-proxy             = {}
    metrics-server         = {}
    eks-pod-identity-agent = { before_compute = true }
    vpc-cni = {
      before_compute       = true
      configuration_values = jsonencode({ enableNetworkPolicy = "true" })
    }
  }

  eks_managed_node_groups = {
    default = {
      iam_role_name  = "${var.name}-nodes"
      ami_type       = local.ami_types[var.node_architecture]
      instance_types = var.node_instance_types
      capacity_type  = "ON_DEMAND"
      min_size       = var.node_min_size
      max_size       = var.node_max_size
      desired_size   = var.node_desired_size

      block_device_mappings = {
        root = {
          device_name = "/dev/xvda"
          ebs = {
            volume_size           = var.node_disk_gib
            volume_type           = "gp3"
            encrypted             = true
            delete_on_termination = true
          }
        }
      }

      # IMDSv2 only, one hop: pods cannot borrow the node's instance role.
      metadata_options = {
        http_endpoint               = "enabled"
        http_tokens                 = "required"
        http_put_response_hop_limit = 1
      }
    }
  }

  tags = var.tags
}
