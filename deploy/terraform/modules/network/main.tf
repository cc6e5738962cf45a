# Subnet plan inside the /16: private /20s for nodes and pods (the VPC CNI gives every pod a
# VPC address), public /24s for load balancers and NAT, intra /24s (no route out) for the EKS
# control-plane network interfaces and ElastiCache.
locals {
  private_subnets = [for i, _ in var.azs : cidrsubnet(var.cidr, 4, i)]
  public_subnets  = [for i, _ in var.azs : cidrsubnet(var.cidr, 8, 48 + i)]
  intra_subnets   = [for i, _ in var.azs : cidrsubnet(var.cidr, 8, 52 + i)]
}

module "vpc" {
  #checkov:skip=CKV_TF_1:A Terraform Registry module, pinned to an exact release version; commit hashes apply to git sources, not to registry modules.
  source  = "terraform-aws-modules/vpc/aws"
  version = "6.6.0"

  name = var.name
  cidr = var.cidr
  azs  = var.azs

  private_subnets = local.private_subnets
  public_subnets  = local.public_subnets
  intra_subnets   = local.intra_subnets

  enable_nat_gateway     = true
  single_nat_gateway     = var.single_nat_gateway
  one_nat_gateway_per_az = !var.single_nat_gateway

  enable_dns_hostnames    = true
  enable_dns_support      = true
  map_public_ip_on_launch = false

  # The default security group is adopted with no rules, so nothing can use it by accident.
  manage_default_security_group = true

  enable_flow_log                                 = true
  create_flow_log_cloudwatch_log_group            = true
  create_flow_log_cloudwatch_iam_role             = true
  vpc_flow_log_iam_role_name                      = "${var.name}-vpc-flow-log"
  vpc_flow_log_iam_policy_name                    = "${var.name}-vpc-flow-log"
  flow_log_traffic_type                           = "ALL"
  flow_log_max_aggregation_interval               = 60
  flow_log_cloudwatch_log_group_retention_in_days = var.flow_log_retention_days
  flow_log_cloudwatch_log_group_kms_key_id        = var.logs_kms_key_arn

  # Where the AWS Load Balancer Controller puts internet-facing and internal load balancers.
  public_subnet_tags  = { "kubernetes.io/role/elb" = "1" }
  private_subnet_tags = { "kubernetes.io/role/internal-elb" = "1" }
}
