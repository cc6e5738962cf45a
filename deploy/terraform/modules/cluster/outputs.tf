output "cluster_name" {
  description = "Name of the EKS cluster (`aws eks update-kubeconfig --name <this>`)."
  value       = module.eks.cluster_name
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = module.eks.cluster_arn
}

output "cluster_endpoint" {
  description = "HTTPS endpoint of the Kubernetes API."
  value       = module.eks.cluster_endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64 CA certificate of the API endpoint (public data, needed by kubeconfig)."
  value       = module.eks.cluster_certificate_authority_data
}

output "kubernetes_version" {
  description = "Kubernetes minor version the control plane runs."
  value       = module.eks.cluster_version
}

output "node_security_group_id" {
  description = "Security group of the managed nodes, which their pods share; ElastiCache admits 6379 from it only."
  value       = module.eks.node_security_group_id
}

output "cluster_security_group_id" {
  description = "Security group of the control plane's network interfaces."
  value       = module.eks.cluster_security_group_id
}
