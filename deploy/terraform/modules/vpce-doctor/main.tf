# vpce-doctor in one of two deployment shapes, the same as deploy/cloudformation/:
#   - an ECS sidecar ("observer" or "startup-gate"): the module returns the container definition
#     to put into your task definition, the app container's dependsOn and the IAM policy, and
#     creates only the sidecar's log group (and, if asked, the task role's inline policy);
#   - a one-shot Lambda ("lambda"): one function per subnet in the VPC, each on an EventBridge
#     schedule, with its log group and an alarm on the EMF Status metric of its subnet.

data "aws_region" "current" {}
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  is_sidecar = contains(["observer", "startup-gate"], var.shape)
  is_lambda  = var.shape == "lambda"

  # The agent's whole permission set, read from deploy/iam-policy.json so it cannot drift from
  # the policy the IAM test checks against the code. (A module fetched from git with a
  # `//deploy/terraform/modules/vpce-doctor` subdirectory still has the whole repository.)
  # Its log ARNs hold CloudFormation-style placeholders, filled here as the templates fill them
  # with !Sub. In ECS every container of the task shares the task role, so the flow-log read is
  # there only when flow_log_group_name names the group (that group only), and the report write
  # only in the lambda shape (its own report group only).
  agent_policy_file = jsondecode(file("${path.module}/../../../iam-policy.json"))
  agent_statements = [
    for s in local.agent_policy_file.Statement : merge(s, {
      Resource = [
        for r in flatten([s.Resource]) : replace(replace(replace(replace(replace(r,
          "$${AWS::Partition}", data.aws_partition.current.partition),
          "$${AWS::Region}", data.aws_region.current.id),
          "$${AWS::AccountId}", data.aws_caller_identity.current.account_id),
          "$${FlowLogGroupName}", coalesce(var.flow_log_group_name, "-")),
          "$${ReportLogGroupName}", var.report_log_group_name)
      ]
    })
    if (s.Sid != "VpceDoctorReadFlowLogRejects" || var.flow_log_group_name != null) &&
    (s.Sid != "VpceDoctorShipReports" || local.is_lambda)
  ]
  agent_policy      = merge(local.agent_policy_file, { Statement = local.agent_statements })
  agent_policy_json = jsonencode(local.agent_policy)

  # EMF metric names, as src/render/emf.ts writes them: namespace VpceDoctor, metric Status
  # (pass 0, warn 1, unknown 2, fail 3), the run's line with the dimension Subnet.
  emf_namespace     = "VpceDoctor"
  emf_status_metric = "Status"
  emf_run_dimension = "Subnet"
  status_value      = { pass = 0, warn = 1, unknown = 2, fail = 3 }

  # What both shapes pass to the agent. Empty values are left out: the agent reads "" as unset.
  common_environment = { for k, v in {
    VPCE_DOCTOR_PROFILES  = join(",", var.profiles)
    VPCE_DOCTOR_SERVICES  = join(",", var.services)
    VPCE_DOCTOR_EMF       = var.emf ? "1" : "0"
    VPCE_DOCTOR_FLOW_LOGS = var.flow_log_group_name != null ? "1" : "0"
    LOG_LEVEL             = var.log_level
  } : k => v if v != "" }

  # ---- ECS sidecar -----------------------------------------------------------------------------

  # observer: /healthz (the process is alive), so the sidecar never says anything about the task.
  # startup-gate: /health (200 when the endpoints work, 503 otherwise), and the app container
  # waits for HEALTHY. The sidecar is not essential in both: a later failure is reported, and
  # never stops the task.
  health_check_path = var.shape == "startup-gate" ? "/health" : "/healthz"

  sidecar_log_group_name = coalesce(var.sidecar_log_group_name, "/ecs/${var.name}")

  sidecar_environment = merge(var.environment, local.common_environment, {
    VPCE_DOCTOR_PORT                 = tostring(var.port)
    VPCE_DOCTOR_INTERVAL_SECONDS     = tostring(var.interval_seconds)
    VPCE_DOCTOR_UNHEALTHY_ON         = var.unhealthy_on
    VPCE_DOCTOR_HEALTH_REQUIRED_ONLY = var.health_required_only ? "1" : "0"
    AWS_REGION                       = data.aws_region.current.id
  })

  container_definition = {
    name                   = var.container_name
    image                  = var.image
    essential              = false
    command                = ["serve"]
    readonlyRootFilesystem = true
    user                   = "1000"
    cpu                    = var.cpu
    memory                 = var.memory
    portMappings           = [{ containerPort = var.port, protocol = "tcp" }]
    environment            = [for k in sort(keys(local.sidecar_environment)) : { name = k, value = local.sidecar_environment[k] }]
    secrets                = var.token_secret_arn == null ? [] : [{ name = "VPCE_DOCTOR_TOKEN", valueFrom = var.token_secret_arn }]
    healthCheck = {
      # The image has node, not curl: a one-line fetch is the probe.
      command = [
        "CMD", "node", "-e",
        "fetch('http://127.0.0.1:${var.port}${local.health_check_path}').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))",
      ]
      interval    = var.health_check.interval
      timeout     = var.health_check.timeout
      retries     = var.health_check.retries
      startPeriod = var.health_check.start_period
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = local.sidecar_log_group_name
        awslogs-region        = data.aws_region.current.id
        awslogs-stream-prefix = var.container_name
      }
    }
  }

  app_depends_on = var.shape == "startup-gate" ? [{ containerName = var.container_name, condition = "HEALTHY" }] : []

  # ---- Lambda ----------------------------------------------------------------------------------

  functions = local.is_lambda ? toset(var.subnet_ids) : toset([])

  function_name = { for s in local.functions : s => "${var.name}-${s}" }

  lambda_environment = { for s in local.functions : s => merge(var.environment, local.common_environment, {
    VPCE_DOCTOR_SUBNET_ID          = s
    VPCE_DOCTOR_SECURITY_GROUP_IDS = join(",", var.security_group_ids)
    VPCE_DOCTOR_VPC_ID             = var.vpc_id
    VPCE_DOCTOR_LOG_GROUP          = var.report_log_group_name
    VPCE_DOCTOR_FAIL_ON            = var.fail_on
  }) }
}

# ---- ECS sidecar -------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "sidecar" {
  count             = local.is_sidecar && var.create_sidecar_log_group ? 1 : 0
  name              = local.sidecar_log_group_name
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_iam_role_policy" "task" {
  count  = local.is_sidecar && var.task_role_name != null ? 1 : 0
  name   = var.name
  role   = var.task_role_name
  policy = local.agent_policy_json
}

# ---- Lambda ------------------------------------------------------------------------------------

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lambda" {
  count              = local.is_lambda ? 1 : 0
  name               = "${var.name}-lambda"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "lambda_agent" {
  count  = local.is_lambda ? 1 : 0
  name   = var.name
  role   = aws_iam_role.lambda[0].id
  policy = local.agent_policy_json
}

# The function's own needs, not the agent's: ENIs in the VPC and its own log groups. Not the
# managed AWSLambdaVPCAccessExecutionRole: its log writes on "*" would let the function write
# into any group of the account, reports of other stacks included (as lambda.yaml does).
data "aws_iam_policy_document" "lambda_runtime" {
  count = local.is_lambda ? 1 : 0

  statement {
    sid = "LambdaVpcNetworkInterfaces"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DeleteNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "LambdaOwnLogGroups"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [for g in aws_cloudwatch_log_group.function : "${g.arn}:*"]
  }
}

resource "aws_iam_role_policy" "lambda_runtime" {
  count  = local.is_lambda ? 1 : 0
  name   = "${var.name}-lambda-runtime"
  role   = aws_iam_role.lambda[0].id
  policy = data.aws_iam_policy_document.lambda_runtime[0].json
}

resource "aws_cloudwatch_log_group" "report" {
  count             = local.is_lambda ? 1 : 0
  name              = var.report_log_group_name
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

# Created before the functions, so Lambda does not create them itself without a retention.
resource "aws_cloudwatch_log_group" "function" {
  for_each          = local.functions
  name              = "/aws/lambda/${local.function_name[each.key]}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_lambda_function" "agent" {
  for_each         = local.functions
  function_name    = local.function_name[each.key]
  description      = "vpce-doctor: VPC endpoint reachability from ${each.key}"
  role             = aws_iam_role.lambda[0].arn
  runtime          = var.lambda_runtime
  handler          = "lambda.handler"
  filename         = var.lambda_package_path
  source_code_hash = filebase64sha256(var.lambda_package_path)
  architectures    = [var.lambda_architecture]
  memory_size      = var.lambda_memory_size
  timeout          = var.lambda_timeout

  vpc_config {
    subnet_ids         = [each.key]
    security_group_ids = var.security_group_ids
  }

  environment {
    variables = local.lambda_environment[each.key]
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = var.lambda_package_path != null && var.vpc_id != null && length(var.security_group_ids) > 0
      error_message = "The lambda shape needs lambda_package_path, vpc_id and at least one of security_group_ids."
    }
  }

  depends_on = [
    aws_cloudwatch_log_group.function,
    aws_iam_role_policy.lambda_agent,
    aws_iam_role_policy.lambda_runtime,
  ]
}

resource "aws_cloudwatch_event_rule" "schedule" {
  for_each            = local.functions
  name                = local.function_name[each.key]
  description         = "Runs vpce-doctor from ${each.key}"
  schedule_expression = var.schedule_expression
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "agent" {
  for_each = local.functions
  rule     = aws_cloudwatch_event_rule.schedule[each.key].name
  arn      = aws_lambda_function.agent[each.key].arn
  # Every service the VPC has an endpoint for, plus the configured profiles and services.
  input = "{}"
}

resource "aws_lambda_permission" "events" {
  for_each      = local.functions
  statement_id  = "AllowEventBridgeSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.agent[each.key].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule[each.key].arn
}

# The run's EMF line carries Status (the worst target's) with the dimension Subnet, which the
# function takes from VPCE_DOCTOR_SUBNET_ID: one alarm per subnet.
resource "aws_cloudwatch_metric_alarm" "status" {
  for_each            = local.functions
  alarm_name          = "${local.function_name[each.key]}-status"
  alarm_description   = "vpce-doctor reports ${var.alarm_on} or worse from ${each.key}: see the report in log group ${var.report_log_group_name}, or run `vpce-doctor report` there."
  namespace           = local.emf_namespace
  metric_name         = local.emf_status_metric
  dimensions          = { (local.emf_run_dimension) = each.key }
  statistic           = "Maximum"
  period              = var.alarm_period
  evaluation_periods  = var.alarm_evaluation_periods
  datapoints_to_alarm = var.alarm_evaluation_periods
  threshold           = local.status_value[var.alarm_on]
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = var.alarm_treat_missing_data
  alarm_actions       = var.alarm_actions
  ok_actions          = var.ok_actions
  tags                = var.tags

  lifecycle {
    precondition {
      condition     = var.emf
      error_message = "The lambda shape's alarm reads the EMF Status metric: leave emf = true."
    }
  }
}
