# ---- ECS sidecar shapes (null or empty in the lambda shape) ------------------------------------

output "container_definition" {
  description = "The sidecar's container definition as an object, to concatenate with your app's: container_definitions = jsonencode([module.X.container_definition, local.app]). Null in the lambda shape."
  value       = local.is_sidecar ? local.container_definition : null

  precondition {
    condition     = !local.is_sidecar || var.image != null
    error_message = "The observer and startup-gate shapes need image (the vpce-doctor image in your registry)."
  }
}

output "container_definition_json" {
  description = "The same container definition as a JSON string (one object, not a list). Null in the lambda shape."
  value       = local.is_sidecar ? jsonencode(local.container_definition) : null
}

output "app_depends_on" {
  description = "The app container's dependsOn: [{containerName, condition = \"HEALTHY\"}] in the startup-gate shape, [] otherwise. Merge it into your app container definition."
  value       = local.app_depends_on
}

output "app_depends_on_json" {
  description = "app_depends_on as a JSON string."
  value       = jsonencode(local.app_depends_on)
}

output "health_check_path" {
  description = "The path the sidecar's container health check requests: /healthz (observer) or /health (startup-gate). Null in the lambda shape."
  value       = local.is_sidecar ? local.health_check_path : null
}

output "sidecar_log_group_name" {
  description = "The sidecar's awslogs group (where its logs and EMF lines go). Null in the lambda shape."
  value       = local.is_sidecar ? local.sidecar_log_group_name : null
}

# ---- Both shapes -------------------------------------------------------------------------------

output "iam_policy_json" {
  description = "deploy/iam-policy.json, the agent's whole permission set, as a JSON policy document: attach it to your task role when task_role_name is not set."
  value       = local.agent_policy_json
}

# ---- Lambda shape (empty or null in the sidecar shapes) ----------------------------------------

output "lambda_function_names" {
  description = "Function name per subnet id."
  value       = { for s, f in aws_lambda_function.agent : s => f.function_name }

  precondition {
    condition     = !local.is_lambda || length(var.subnet_ids) > 0
    error_message = "The lambda shape needs at least one of subnet_ids: one function runs in each."
  }
}

output "lambda_function_arns" {
  description = "Function ARN per subnet id."
  value       = { for s, f in aws_lambda_function.agent : s => f.arn }
}

output "lambda_role_arn" {
  description = "ARN of the functions' IAM role. Null in the sidecar shapes."
  value       = one(aws_iam_role.lambda[*].arn)
}

output "lambda_log_group_names" {
  description = "Each function's own log group (its logs and EMF lines) per subnet id."
  value       = { for s, g in aws_cloudwatch_log_group.function : s => g.name }
}

output "report_log_group_name" {
  description = "The log group the functions ship reports to (query it with docs/logs-insights.md). Null in the sidecar shapes."
  value       = one(aws_cloudwatch_log_group.report[*].name)
}

output "schedule_rule_arns" {
  description = "EventBridge schedule rule ARN per subnet id."
  value       = { for s, r in aws_cloudwatch_event_rule.schedule : s => r.arn }
}

output "alarm_arns" {
  description = "CloudWatch alarm ARN on the EMF Status metric per subnet id."
  value       = { for s, a in aws_cloudwatch_metric_alarm.status : s => a.arn }
}
