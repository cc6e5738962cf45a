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

  # Helm merges the list in order (provider v3.1.2, getValues -> mergeMaps): the committed
  # values of deploy/gitops/argocd/values.yaml (health check for sync waves, notifications),
  # then what only Terraform knows.
  values = [
    var.argo_cd_values,
    yamlencode({
      # No SSO is configured: Dex would be an idle component with a service account.
      dex          = { enabled = false }
      extraObjects = local.cluster_facts
    }),
  ]
}

locals {
  # What the add-ons of deploy/gitops need from AWS and only Terraform knows, as objects that
  # the argo-cd chart creates (`extraObjects`, chart 9.7.1) before the app of apps syncs:
  # Loki's ConfigMap monitoring/loki-storage (its extraEnvFrom; loki-s3.yaml expands
  # ${AWS_REGION} and ${LOKI_S3_BUCKET}) and its namespace, kept when Argo CD is uninstalled
  # (the add-ons' data lives there). tests/deploy/terraform_seams.py checks both sides.
  monitoring = "monitoring"
  cluster_facts = [
    {
      apiVersion = "v1"
      kind       = "Namespace"
      metadata = {
        name        = local.monitoring
        annotations = { "helm.sh/resource-policy" = "keep" }
      }
    },
    {
      apiVersion = "v1"
      kind       = "ConfigMap"
      metadata   = { name = "loki-storage", namespace = local.monitoring }
      data = {
        AWS_REGION     = var.region
        LOKI_S3_BUCKET = var.loki_bucket
      }
    },
  ]
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
