variable "environment" {
  description = "Environment whose folder the root Application follows: deploy/gitops/environments/<this>."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "The environments are dev, staging and prod."
  }
}

variable "repository_url" {
  description = "HTTPS clone URL of this repository, the source of every Argo CD Application (`https://github.com/<owner>/<name>.git`)."
  type        = string

  validation {
    condition     = can(regex("^https://github\\.com/[A-Za-z0-9-]+/[A-Za-z0-9._-]+\\.git$", var.repository_url))
    error_message = "Give the repository's HTTPS clone URL, https://github.com/<owner>/<name>.git."
  }
}

variable "target_revision" {
  description = "Branch the root Application tracks; CD commits image digests there."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._/-]*$", var.target_revision))
    error_message = "Give a branch name."
  }
}

variable "argo_cd_chart_version" {
  description = "Exact version of the argo-cd chart (argoproj/argo-helm); 9.7.1 ships Argo CD v3.4.4."
  type        = string
  default     = "9.7.1"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.argo_cd_chart_version))
    error_message = "Pin an exact chart version (X.Y.Z), never a range."
  }
}

variable "argocd_apps_chart_version" {
  description = "Exact version of the argocd-apps chart (argoproj/argo-helm) that holds the root Application."
  type        = string
  default     = "2.0.5"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.argocd_apps_chart_version))
    error_message = "Pin an exact chart version (X.Y.Z), never a range."
  }
}

variable "cluster_facts" {
  description = "What the add-ons need to know about AWS and only Terraform knows (cluster name, region, VPC ID, account, Loki's bucket), as annotations of Argo CD's in-cluster cluster Secret."
  type        = map(string)

  validation {
    condition     = alltrue([for key in keys(var.cluster_facts) : can(regex("^[a-z0-9]([a-z0-9_.-]{0,61}[a-z0-9])?$", key))])
    error_message = "Keys must be valid annotation names without a prefix (lowercase letters, digits, '_', '.', '-')."
  }
}
