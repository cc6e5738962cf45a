output "secret_reader_role_arn" {
  description = "Role the External Secrets Operator gets through Pod Identity to read the kvapi secret."
  value       = aws_iam_role.workload["secret-reader"].arn
}

output "loki_role_arn" {
  description = "Role Loki gets through Pod Identity to use its bucket."
  value       = aws_iam_role.workload["loki"].arn
}

output "load_balancer_controller_role_arn" {
  description = "Role the AWS Load Balancer Controller gets through Pod Identity to manage the ALBs of Ingresses."
  value       = aws_iam_role.workload["load-balancer-controller"].arn
}

output "ci_plan_role_arn" {
  description = "Role terraform.yml assumes to plan: pull requests and the nightly drift check (`aws-actions/configure-aws-credentials` role-to-assume)."
  value       = aws_iam_role.ci["plan"].arn
}

output "ci_apply_role_arn" {
  description = "Role terraform.yml's apply job assumes, in this environment's GitHub environment `terraform-<env>`."
  value       = aws_iam_role.ci["apply"].arn
}
