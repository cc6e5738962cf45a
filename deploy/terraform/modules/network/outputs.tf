output "vpc_id" {
  description = "ID of the VPC."
  value       = module.vpc.vpc_id
}

output "vpc_cidr_block" {
  description = "IPv4 block of the VPC."
  value       = module.vpc.vpc_cidr_block
}

output "private_subnet_ids" {
  description = "Private subnets (one per zone, egress through NAT): EKS nodes and pods."
  value       = module.vpc.private_subnets
}

output "public_subnet_ids" {
  description = "Public subnets (one per zone): internet-facing load balancers and NAT gateways."
  value       = module.vpc.public_subnets
}

output "intra_subnet_ids" {
  description = "Intra subnets (one per zone, no route out): EKS control-plane interfaces and ElastiCache."
  value       = module.vpc.intra_subnets
}

output "nat_public_ips" {
  description = "Public addresses of the NAT gateways, i.e. what third parties see as this VPC's egress."
  value       = module.vpc.nat_public_ips
}
