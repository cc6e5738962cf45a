output "secret_reader_role_arn" {
  description = "Role the External Secrets Operator gets through Pod Identity to read the kvapi secret."
  value       = aws_iam_role.workload["secret-reader"].arn
}

output "loki_role_arn" {
  description = "Role Loki gets through Pod Identity to use its bucket."
  value       = aws_iam_role.workload["loki"].arn
}

output "ci_plan_role_arn" {
  description = "Role GitHub Actions assumes on pull requests (`aws-actions/configure-aws-credentials` role-to-assume)."
  value       = aws_iam_role.ci["plan"].arn
}

output "ci_apply_role_arn" {
  description = "Role GitHub Actions assumes on the main branch to apply Terraform."
  value       = aws_iam_role.ci["apply"].arn
}

output "ci_deploy_role_arn" {
  description = "Role the CD jobs of this environment's GitHub environment assume to deploy the overlay: the value of that environment's `AWS_DEPLOY_ROLE_ARN` variable."
  value       = aws_iam_role.ci["deploy"].arn
}
