output "argocd_namespace" {
  description = "Namespace of Argo CD (`kubectl -n <this> get applications`)."
  value       = module.gitops_bootstrap.namespace
}

output "root_application" {
  description = "The root Application that syncs deploy/gitops/environments/<env>."
  value       = module.gitops_bootstrap.root_application
}

output "argo_cd_version" {
  description = "Argo CD version the pinned chart installed."
  value       = module.gitops_bootstrap.argo_cd_version
}
