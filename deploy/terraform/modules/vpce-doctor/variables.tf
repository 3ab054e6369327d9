# ---------------------------------------------------------------------------------------------
# Both shapes
# ---------------------------------------------------------------------------------------------

variable "shape" {
  description = "How the agent runs: \"observer\" (ECS sidecar, health check on /healthz, never affects the task), \"startup-gate\" (ECS sidecar, health check on /health, the app container waits for it to be HEALTHY) or \"lambda\" (one scheduled one-shot function per subnet)."
  type        = string

  validation {
    condition     = contains(["observer", "startup-gate", "lambda"], var.shape)
    error_message = "shape must be \"observer\", \"startup-gate\" or \"lambda\"."
  }
}

variable "name" {
  description = "Prefix of every name the module creates (log groups, role, functions, rules, alarms)."
  type        = string
  default     = "vpce-doctor"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,32}$", var.name))
    error_message = "name must be 1-32 letters, digits, '-' or '_' (function names are name-subnet-id, at most 64 characters)."
  }
}

variable "profiles" {
  description = "Workload profiles whose endpoints the agent requires (VPCE_DOCTOR_PROFILES): ecs-fargate, ssm, lambda, eks-nodes."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.profiles : contains(["ecs-fargate", "ssm", "lambda", "eks-nodes"], p)])
    error_message = "profiles may contain only ecs-fargate, ssm, lambda and eks-nodes."
  }
}

variable "services" {
  description = "Extra services to check (VPCE_DOCTOR_SERVICES): short names (ecr.dkr), full service names or endpoint service names."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.services : can(regex("^[a-z0-9.-]+$", s))])
    error_message = "services are names like ecr.dkr, com.amazonaws.us-east-1.sts or com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0."
  }
}

variable "emf" {
  description = "Write each report as CloudWatch Embedded Metric Format lines (namespace VpceDoctor) to the agent's log group, so CloudWatch turns them into metrics (VPCE_DOCTOR_EMF). The Lambda shape's alarm needs it."
  type        = bool
  default     = true
}

variable "log_level" {
  description = "pino log level of the agent (LOG_LEVEL)."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["fatal", "error", "warn", "info", "debug", "trace"], var.log_level)
    error_message = "log_level must be one of fatal, error, warn, info, debug, trace."
  }
}

variable "log_retention_days" {
  description = "Retention of the log groups the module creates (the sidecar's, each function's and the report group)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "flow_log_group_name" {
  description = "CloudWatch Logs group holding the VPC's flow logs (or a name pattern with *): the agent reads REJECT records there as evidence for a failing service, with logs:FilterLogEvents on that group only. null (the default) turns flow-log evidence off (VPCE_DOCTOR_FLOW_LOGS=0) and leaves the permission out: in ECS every container of the task shares the task role."
  type        = string
  default     = null

  validation {
    condition     = var.flow_log_group_name == null || can(regex("^[-_/.#A-Za-z0-9*]{1,512}$", var.flow_log_group_name))
    error_message = "flow_log_group_name must be a CloudWatch Logs group name or a pattern with *."
  }
}

variable "environment" {
  description = "Extra environment variables for the agent (e.g. LOG_LEVEL = \"debug\"). The variables the module sets itself win over these."
  type        = map(string)
  default     = {}
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------
# ECS sidecar shapes (observer, startup-gate)
# ---------------------------------------------------------------------------------------------

variable "image" {
  description = "The vpce-doctor image in your registry (sidecar shapes; required there), e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/vpce-doctor:0.1.0."
  type        = string
  default     = null

  validation {
    condition     = var.image == null || can(regex("^\\S+$", var.image))
    error_message = "image must be an image reference without spaces."
  }
}

variable "container_name" {
  description = "Name of the sidecar container (the app container's dependsOn names it)."
  type        = string
  default     = "vpce-doctor"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,255}$", var.container_name))
    error_message = "container_name must be 1-255 letters, digits, '-' or '_' (ECS container name rules)."
  }
}

variable "port" {
  description = "Port the sidecar serves its HTTP API on (VPCE_DOCTOR_PORT); other containers of the task reach it on localhost."
  type        = number
  default     = 9077

  validation {
    condition     = var.port >= 1 && var.port <= 65535 && floor(var.port) == var.port
    error_message = "port must be an integer from 1 to 65535."
  }
}

variable "cpu" {
  description = "CPU units reserved for the sidecar container (1024 = one vCPU)."
  type        = number
  default     = 128

  validation {
    condition     = var.cpu >= 0 && floor(var.cpu) == var.cpu
    error_message = "cpu must be a whole number of CPU units."
  }
}

variable "memory" {
  description = "Hard memory limit of the sidecar container, MiB."
  type        = number
  default     = 256

  validation {
    condition     = var.memory >= 64 && floor(var.memory) == var.memory
    error_message = "memory must be a whole number of MiB, at least 64 (Node needs it)."
  }
}

variable "interval_seconds" {
  description = "How often the sidecar checks, seconds, jittered by 10 % (VPCE_DOCTOR_INTERVAL_SECONDS)."
  type        = number
  default     = 60

  validation {
    condition     = var.interval_seconds >= 10
    error_message = "interval_seconds must be at least 10: every run calls the EC2 API, which the whole account shares."
  }
}

variable "unhealthy_on" {
  description = "Which status makes /health answer 503 (VPCE_DOCTOR_UNHEALTHY_ON): \"fail\", or \"warn\" to include warnings. Matters for the startup-gate shape."
  type        = string
  default     = "fail"

  validation {
    condition     = contains(["fail", "warn"], var.unhealthy_on)
    error_message = "unhealthy_on must be \"fail\" or \"warn\"."
  }
}

variable "health_required_only" {
  description = "Only services a profile or the configuration marks required count for /health (VPCE_DOCTOR_HEALTH_REQUIRED_ONLY). Matters for the startup-gate shape."
  type        = bool
  default     = false
}

variable "health_check" {
  description = "The ECS container health check timing, seconds. start_period must cover the first report (up to 15 s); failures inside it do not count."
  type = object({
    interval     = optional(number, 30)
    timeout      = optional(number, 5)
    retries      = optional(number, 3)
    start_period = optional(number, 60)
  })
  default = {}

  validation {
    condition = (
      var.health_check.interval >= 5 && var.health_check.interval <= 300 &&
      var.health_check.timeout >= 2 && var.health_check.timeout <= 60 &&
      var.health_check.retries >= 1 && var.health_check.retries <= 10 &&
      var.health_check.start_period >= 0 && var.health_check.start_period <= 300
    )
    error_message = "ECS accepts interval 5-300, timeout 2-60, retries 1-10 and start_period 0-300."
  }
}

variable "sidecar_log_group_name" {
  description = "awslogs group of the sidecar container (its logs and EMF lines); created by the module with log_retention_days unless create_sidecar_log_group is false. Default /ecs/NAME."
  type        = string
  default     = null
}

variable "create_sidecar_log_group" {
  description = "Create the sidecar's log group (sidecar shapes). Set false when sidecar_log_group_name names a group you already manage."
  type        = bool
  default     = true
}

variable "task_role_name" {
  description = "Name of your ECS task role (sidecar shapes). When set, the module attaches deploy/iam-policy.json to it as an inline policy; otherwise attach the iam_policy_json output yourself."
  type        = string
  default     = null
}

variable "token_secret_arn" {
  description = "ARN of a Secrets Manager secret (or SSM parameter) holding the bearer token (VPCE_DOCTOR_TOKEN, at least 32 visible ASCII characters) that opens the sidecar's report, metrics and findings routes to the network; without one they answer the task's own containers on localhost only. The task's execution role must be allowed to read it."
  type        = string
  default     = null

  validation {
    condition     = var.token_secret_arn == null || can(regex("^arn:aws[a-z-]*:(secretsmanager|ssm):", var.token_secret_arn))
    error_message = "token_secret_arn must be a Secrets Manager secret ARN or an SSM parameter ARN."
  }
}

# ---------------------------------------------------------------------------------------------
# Lambda shape
# ---------------------------------------------------------------------------------------------

variable "lambda_package_path" {
  description = "Path of the zip holding dist/lambda.js and dist/package.json from `npm run build:lambda` (lambda shape; required there)."
  type        = string
  default     = null
}

variable "vpc_id" {
  description = "VPC of the subnets (lambda shape; required there). Passed as VPCE_DOCTOR_VPC_ID."
  type        = string
  default     = null

  validation {
    condition     = var.vpc_id == null || can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC id (vpc-...)."
  }
}

variable "subnet_ids" {
  description = "Subnets to check from (lambda shape; at least one there): one function, schedule and alarm per subnet, each passed as VPCE_DOCTOR_SUBNET_ID. One per AZ covers the AZ-specific causes."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids must be subnet ids (subnet-...)."
  }
}

variable "security_group_ids" {
  description = "Security groups of the functions (lambda shape; at least one there), passed as VPCE_DOCTOR_SECURITY_GROUP_IDS. Use the groups of the workload whose reachability you want checked."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.security_group_ids) <= 5 && alltrue([for g in var.security_group_ids : can(regex("^sg-[0-9a-f]+$", g))])
    error_message = "security_group_ids must be at most 5 security group ids (sg-...)."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the functions; the bundle is plain JavaScript and runs on either."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "lambda_runtime" {
  description = "The Lambda Node.js runtime (the bundle targets Node 22 and runs on later ones; Lambda no longer creates nodejs20.x functions)."
  type        = string
  default     = "nodejs22.x"

  validation {
    condition     = contains(["nodejs22.x", "nodejs24.x"], var.lambda_runtime)
    error_message = "lambda_runtime must be \"nodejs22.x\" or \"nodejs24.x\"."
  }
}

variable "lambda_memory_size" {
  description = "Memory of each function, MiB."
  type        = number
  default     = 256

  validation {
    condition     = var.lambda_memory_size >= 128 && var.lambda_memory_size <= 10240
    error_message = "lambda_memory_size must be from 128 to 10240 MiB."
  }
}

variable "lambda_timeout" {
  description = "Timeout of each function, seconds. A report takes at most 15 s and shipping it 3 s more."
  type        = number
  default     = 60

  validation {
    condition     = var.lambda_timeout >= 20 && var.lambda_timeout <= 900
    error_message = "lambda_timeout must be from 20 to 900 seconds (a report needs up to 18 s)."
  }
}

variable "schedule_expression" {
  description = "EventBridge schedule of the runs, each invoking every function with the event {}."
  type        = string
  default     = "rate(5 minutes)"

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be rate(...) or cron(...)."
  }
}

variable "fail_on" {
  description = "When an invocation throws, so Lambda's Errors metric counts it (VPCE_DOCTOR_FAIL_ON): \"fail\", \"warn\" or \"never\"."
  type        = string
  default     = "fail"

  validation {
    condition     = contains(["fail", "warn", "never"], var.fail_on)
    error_message = "fail_on must be \"fail\", \"warn\" or \"never\"."
  }
}

variable "report_log_group_name" {
  description = "Log group the functions ship each report to (VPCE_DOCTOR_LOG_GROUP, one stream per subnet and AZ); created by the module. The functions' role may write to this group only."
  type        = string
  default     = "vpce-doctor-reports"

  validation {
    condition     = can(regex("^[-_/.#A-Za-z0-9]{1,512}$", var.report_log_group_name))
    error_message = "report_log_group_name must be a CloudWatch Logs group name (no *: the role may write to this one group)."
  }
}

variable "alarm_on" {
  description = "Lowest run status that sets off each subnet's alarm on the EMF Status metric: \"fail\", \"unknown\" or \"warn\"."
  type        = string
  default     = "fail"

  validation {
    condition     = contains(["fail", "unknown", "warn"], var.alarm_on)
    error_message = "alarm_on must be \"fail\", \"unknown\" or \"warn\"."
  }
}

variable "alarm_period" {
  description = "Period of the alarm, seconds; keep it at least the schedule's interval, or periods without a run count as missing data."
  type        = number
  default     = 300

  validation {
    condition     = var.alarm_period >= 60 && var.alarm_period % 60 == 0
    error_message = "alarm_period must be a multiple of 60 seconds."
  }
}

variable "alarm_evaluation_periods" {
  description = "Consecutive failing periods before the alarm fires (a single transient timeout does not page)."
  type        = number
  default     = 2

  validation {
    condition     = var.alarm_evaluation_periods >= 1
    error_message = "alarm_evaluation_periods must be at least 1."
  }
}

variable "alarm_treat_missing_data" {
  description = "What a period without a report means to the alarm: \"missing\", \"breaching\" (alarm when the agent stops running), \"notBreaching\" or \"ignore\"."
  type        = string
  default     = "missing"

  validation {
    condition     = contains(["missing", "breaching", "notBreaching", "ignore"], var.alarm_treat_missing_data)
    error_message = "alarm_treat_missing_data must be missing, breaching, notBreaching or ignore."
  }
}

variable "alarm_actions" {
  description = "ARNs notified when an alarm fires (e.g. an SNS topic)."
  type        = list(string)
  default     = []
}

variable "ok_actions" {
  description = "ARNs notified when an alarm returns to OK."
  type        = list(string)
  default     = []
}
