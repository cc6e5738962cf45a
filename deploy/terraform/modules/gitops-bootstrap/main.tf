# Argo CD and the one Application that makes it install everything else from git (ADR 0110).
# Both releases use the `kubernetes` configuration of the calling root's helm provider; the
# helm provider v3 takes `values` as a list of YAML documents, written here with yamlencode.

locals {
  namespace       = "argocd"
  repository      = "https://argoproj.github.io/argo-helm"
  in_cluster      = "https://kubernetes.default.svc"
  root_app        = "kvapi-${var.environment}"
  gitops_path     = "deploy/gitops/environments/${var.environment}"
  finalizer       = "resources-finalizer.argocd.argoproj.io"
  environment_key = "kvapi.io/environment"
}

resource "helm_release" "argo_cd" {
  name             = "argocd"
  repository       = local.repository
  chart            = "argo-cd"
  version          = var.argo_cd_chart_version
  namespace        = local.namespace
  create_namespace = true
  wait             = true
  timeout          = 600
  cleanup_on_fail  = true
  max_history      = 10

  values = [yamlencode({
    # No SSO is configured: Dex would be an idle component with a service account.
    dex = { enabled = false }
    configs = {
      # Argo CD's own cluster Secret for the cluster it runs in, carrying the facts that only
      # Terraform knows (VPC ID, account, bucket names) as annotations: an ApplicationSet's
      # cluster generator reads them as {{metadata.annotations.<key>}}. No credentials: Argo CD
      # reaches this cluster with its own service account.
      clusterCredentials = {
        in-cluster = {
          server      = local.in_cluster
          labels      = { (local.environment_key) = var.environment }
          annotations = var.cluster_facts
          config      = { tlsClientConfig = { insecure = false } }
        }
      }
    }
  })]
}

# The root of the app-of-apps: everything under deploy/gitops/environments/<env> on the tracked
# branch, synced automatically, pruned, and put back when edited by hand.
resource "helm_release" "root_app" {
  name        = "${local.root_app}-root"
  repository  = local.repository
  chart       = "argocd-apps"
  version     = var.argocd_apps_chart_version
  namespace   = local.namespace
  max_history = 10

  values = [yamlencode({
    applications = {
      (local.root_app) = {
        namespace  = local.namespace
        project    = "default"
        finalizers = [local.finalizer]
        source = {
          repoURL        = var.repository_url
          targetRevision = var.target_revision
          path           = local.gitops_path
        }
        destination = { server = local.in_cluster, namespace = local.namespace }
        syncPolicy = {
          automated   = { prune = true, selfHeal = true }
          syncOptions = ["ServerSideApply=true"]
        }
      }
    }
  })]

  depends_on = [helm_release.argo_cd]
}
