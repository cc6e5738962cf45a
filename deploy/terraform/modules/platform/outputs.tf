output "vpc_id" {
  description = "ID of the environment's VPC."
  value       = module.network.vpc_id
}

output "cluster_name" {
  description = "EKS cluster name (`aws eks update-kubeconfig --name <this>`)."
  value       = module.cluster.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = module.cluster.cluster_endpoint
}

output "kubernetes_version" {
  description = "Kubernetes minor version of the control plane."
  value       = module.cluster.kubernetes_version
}

output "redis_primary_endpoint" {
  description = "ElastiCache primary endpoint (the URL with credentials is in the secret); null in cluster mode."
  value       = module.redis.primary_endpoint_address
}

output "redis_endpoint" {
  description = "The ElastiCache endpoint kvapi connects to: the configuration endpoint in cluster mode, else the primary endpoint."
  value       = module.redis.endpoint_address
}

output "redis_cluster_mode" {
  description = "Whether ElastiCache runs in cluster mode (the secret's KVAPI_REDIS_CLUSTER says the same to kvapi)."
  value       = module.redis.cluster_mode
}

output "redis_secret_name" {
  description = "Secrets Manager secret the prod overlay's ExternalSecret reads (keys KVAPI_REDIS_URL, KVAPI_REDIS_CLUSTER, KVAPI_WRITE_TOKENS)."
  value       = module.redis.secret_name
}

output "secret_reader_role_arn" {
  description = "Pod Identity role of the External Secrets Operator (external-secrets/external-secrets)."
  value       = module.identities.secret_reader_role_arn
}

output "loki_bucket_name" {
  description = "Loki's S3 bucket (storage_config.aws.bucketnames)."
  value       = module.logs_bucket.bucket_name
}

output "loki_role_arn" {
  description = "Pod Identity role of Loki (monitoring/loki)."
  value       = module.identities.loki_role_arn
}

output "load_balancer_controller_role_arn" {
  description = "Pod Identity role of the AWS Load Balancer Controller (kube-system/aws-load-balancer-controller)."
  value       = module.identities.load_balancer_controller_role_arn
}

output "ci_plan_role_arn" {
  description = "Role terraform.yml assumes to plan (pull requests, nightly drift check)."
  value       = module.identities.ci_plan_role_arn
}

output "ci_apply_role_arn" {
  description = "Role terraform.yml's apply job assumes in the GitHub environment `terraform-<env>`."
  value       = module.identities.ci_apply_role_arn
}
