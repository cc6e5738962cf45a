variable "name_prefix" {
  description = "Prefix of every role name, `kvapi-<environment>`; the CI apply role may only manage IAM roles and policies under it."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name_prefix))
    error_message = "Use 3 to 31 lowercase letters, digits and '-'."
  }
}

variable "cluster_name" {
  description = "EKS cluster the Pod Identity associations belong to, and whose ARN scopes the CI apply role's EKS rights."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,99}$", var.cluster_name))
    error_message = "Give an EKS cluster name."
  }
}

variable "secret_arn" {
  description = "ARN of the kvapi Secrets Manager secret the secret-reader role may read."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:secretsmanager:", var.secret_arn))
    error_message = "Give a Secrets Manager secret ARN."
  }
}

variable "secret_kms_key_arn" {
  description = "KMS key encrypting that secret."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.secret_kms_key_arn))
    error_message = "Give the ARN of a KMS key (arn:aws:kms:...)."
  }
}

variable "secret_reader" {
  description = "Kubernetes service account that reads the kvapi secret: the External Secrets Operator controller."
  type = object({
    namespace       = string
    service_account = string
  })
  default = { namespace = "external-secrets", service_account = "external-secrets" }

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.secret_reader.namespace)) && can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.secret_reader.service_account))
    error_message = "Namespace and service account must be Kubernetes names (lowercase letters, digits, '-')."
  }
}

variable "loki_bucket_arn" {
  description = "ARN of Loki's bucket."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::", var.loki_bucket_arn))
    error_message = "Give an S3 bucket ARN."
  }
}

variable "loki_kms_key_arn" {
  description = "KMS key encrypting Loki's bucket."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.loki_kms_key_arn))
    error_message = "Give the ARN of a KMS key (arn:aws:kms:...)."
  }
}

variable "loki" {
  description = "Kubernetes service account Loki runs as."
  type = object({
    namespace       = string
    service_account = string
  })
  default = { namespace = "monitoring", service_account = "loki" }

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.loki.namespace)) && can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.loki.service_account))
    error_message = "Namespace and service account must be Kubernetes names (lowercase letters, digits, '-')."
  }
}

variable "load_balancer_controller" {
  description = "Kubernetes service account the AWS Load Balancer Controller runs as (its chart's default name, in kube-system)."
  type = object({
    namespace       = string
    service_account = string
  })
  default = { namespace = "kube-system", service_account = "aws-load-balancer-controller" }

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.load_balancer_controller.namespace)) && can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.load_balancer_controller.service_account))
    error_message = "Namespace and service account must be Kubernetes names (lowercase letters, digits, '-')."
  }
}

variable "github_repository" {
  description = "GitHub repository (`owner/name`) whose workflows may assume the CI roles."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "Give the repository as owner/name."
  }
}

variable "github_oidc_provider_arn" {
  description = "ARN of the account's token.actions.githubusercontent.com OIDC provider (created by bootstrap/)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.github_oidc_provider_arn))
    error_message = "Give the ARN of the GitHub Actions OIDC provider."
  }
}

variable "github_apply_environment" {
  description = "GitHub environment whose jobs may assume the CI apply role (token subject `repo:<owner/name>:environment:<this>`): terraform.yml's apply job for this environment runs in it."
  type        = string

  validation {
    # No ':' or '*': the name is matched exactly inside the subject, never as a pattern.
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$", var.github_apply_environment))
    error_message = "Give a GitHub environment name: letters, digits, '.', '_' and '-', at most 255."
  }
}

variable "github_drift_environment" {
  description = "GitHub environment of terraform.yml's nightly drift check, whose jobs may assume the CI plan role besides pull requests."
  type        = string
  default     = "terraform-drift"

  validation {
    # No ':' or '*': the name is matched exactly inside the subject, never as a pattern.
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$", var.github_drift_environment))
    error_message = "Give a GitHub environment name: letters, digits, '.', '_' and '-', at most 255."
  }
}

variable "state" {
  description = "Where this environment's state lives: bucket ARN, object key, and the KMS key that encrypts it."
  type = object({
    bucket_arn  = string
    key         = string
    kms_key_arn = string
  })

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::", var.state.bucket_arn)) && endswith(var.state.key, ".tfstate") && can(regex("^arn:aws[a-z-]*:kms:", var.state.kms_key_arn))
    error_message = "Give the state bucket ARN, a key ending in .tfstate and the state KMS key ARN."
  }
}

variable "protect_stateful_resources" {
  description = "Deny the CI apply role every call that deletes the cluster, the cache, buckets, secrets or keys (prod)."
  type        = bool
}
