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

variable "argo_cd_values" {
  description = "The argo-cd chart values committed in deploy/gitops/argocd/values.yaml (the root passes the file's content): the Application health check sync waves need, notifications to GitHub commit statuses."
  type        = string

  validation {
    condition     = can(yamldecode(var.argo_cd_values).configs.cm) && can(yamldecode(var.argo_cd_values).notifications)
    error_message = "Pass the content of deploy/gitops/argocd/values.yaml (configs.cm and notifications)."
  }
}

variable "region" {
  description = "AWS region of the cluster; Loki's S3 client reads it as AWS_REGION from ConfigMap monitoring/loki-storage."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "Give an AWS region name such as us-east-1."
  }
}

variable "loki_bucket" {
  description = "Name of Loki's S3 bucket (the environment's output loki_bucket_name), LOKI_S3_BUCKET of ConfigMap monitoring/loki-storage."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.loki_bucket))
    error_message = "Give an S3 bucket name."
  }
}
