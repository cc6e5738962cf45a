output "vpc_id" {
  description = "VPC of the cluster (the AWS Load Balancer Controller's `vpcId`; its pods cannot ask IMDS)."
  value       = module.platform.vpc_id
}

output "cluster_name" {
  description = "EKS cluster name (`aws eks update-kubeconfig --name <this>`)."
  value       = module.platform.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = module.platform.cluster_endpoint
}

output "kubernetes_version" {
  description = "Kubernetes minor version of the control plane; the manifests target the same."
  value       = module.platform.kubernetes_version
}

output "region" {
  description = "AWS region (the ExternalSecret's SecretStore and Loki's S3 client need it)."
  value       = var.region
}

output "redis_primary_endpoint" {
  description = "ElastiCache primary endpoint (the full URL with credentials is only in the secret); null in cluster mode."
  value       = module.platform.redis_primary_endpoint
}

output "redis_endpoint" {
  description = "The ElastiCache endpoint kvapi connects to: the configuration endpoint in cluster mode, else the primary endpoint."
  value       = module.platform.redis_endpoint
}

output "redis_cluster_mode" {
  description = "Whether ElastiCache runs in cluster mode; the secret's KVAPI_REDIS_CLUSTER passes it to kvapi."
  value       = module.platform.redis_cluster_mode
}

output "redis_secret_name" {
  description = "Secrets Manager secret for the ExternalSecret: properties KVAPI_REDIS_URL, KVAPI_REDIS_CLUSTER and KVAPI_WRITE_TOKENS."
  value       = module.platform.redis_secret_name
}

output "secret_reader_role_arn" {
  description = "Pod Identity role of the External Secrets Operator (external-secrets/external-secrets)."
  value       = module.platform.secret_reader_role_arn
}

output "loki_bucket_name" {
  description = "Loki's bucket (storage_config.aws.bucketnames)."
  value       = module.platform.loki_bucket_name
}

output "loki_role_arn" {
  description = "Pod Identity role of Loki (monitoring/loki)."
  value       = module.platform.loki_role_arn
}

output "load_balancer_controller_role_arn" {
  description = "Pod Identity role of the AWS Load Balancer Controller (kube-system/aws-load-balancer-controller)."
  value       = module.platform.load_balancer_controller_role_arn
}

output "ci_plan_role_arn" {
  description = "Role terraform.yml assumes to plan: pull requests and the nightly drift check."
  value       = module.platform.ci_plan_role_arn
}

output "ci_apply_role_arn" {
  description = "Role terraform.yml's apply job assumes in the GitHub environment `terraform-<env>`."
  value       = module.platform.ci_apply_role_arn
}
