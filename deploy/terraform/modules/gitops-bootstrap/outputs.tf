output "namespace" {
  description = "Namespace of Argo CD (`kubectl -n <this> get applications`)."
  value       = helm_release.argo_cd.namespace
}

output "root_application" {
  description = "Name of the root Application that syncs deploy/gitops/environments/<env>."
  value       = local.root_app
}

output "argo_cd_version" {
  description = "Argo CD application version the installed chart ships."
  value       = helm_release.argo_cd.metadata.app_version
}
