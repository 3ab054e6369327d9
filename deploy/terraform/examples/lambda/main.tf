# vpce-doctor as a scheduled one-shot Lambda: one function in each private subnet (one per AZ),
# every 5 minutes, alarming to an SNS topic when a subnet cannot reach a service through its
# endpoint.
#
#   npm run build:lambda && (cd dist && zip -q ../vpce-doctor-lambda.zip lambda.js package.json)
#   terraform init && terraform apply -var-file=prod.tfvars -var lambda_package_path=$PWD/../../../../vpce-doctor-lambda.zip

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  description = "Region of the VPC."
  type        = string
  default     = "us-east-1"
}

variable "vpc_id" {
  description = "The VPC to check."
  type        = string
}

variable "subnet_ids" {
  description = "One private subnet per AZ, e.g. [\"subnet-0a1b2c3d4e5f60718\", \"subnet-0f1e2d3c4b5a69788\"]."
  type        = list(string)
}

variable "workload_security_group_id" {
  description = "The security group of the workload whose reachability the agent checks."
  type        = string
}

variable "lambda_package_path" {
  description = "The zip made by: npm run build:lambda && (cd dist && zip -q ../vpce-doctor-lambda.zip lambda.js package.json)."
  type        = string
}

variable "oncall_topic_arn" {
  description = "SNS topic paged when a subnet's alarm fires."
  type        = string
}

module "vpce_doctor" {
  source = "../../modules/vpce-doctor"
  # From another repository:
  # source = "git::https://github.com/OWNER/vpce-doctor.git//deploy/terraform/modules/vpce-doctor?ref=v0.1.0"

  shape               = "lambda"
  lambda_package_path = var.lambda_package_path
  vpc_id              = var.vpc_id
  subnet_ids          = var.subnet_ids
  security_group_ids  = [var.workload_security_group_id]
  profiles            = ["ecs-fargate", "ssm"]
  schedule_expression = "rate(5 minutes)"
  alarm_on            = "fail"
  alarm_actions       = [var.oncall_topic_arn]
  ok_actions          = [var.oncall_topic_arn]
  log_retention_days  = 14
  tags                = { team = "platform" }
}

output "functions" {
  description = "Function name per subnet: aws lambda invoke --function-name NAME out.json for a report now."
  value       = module.vpce_doctor.lambda_function_names
}

output "alarms" {
  description = "Alarm per subnet."
  value       = module.vpce_doctor.alarm_arns
}

output "report_log_group" {
  description = "Where every report goes (docs/logs-insights.md has the queries)."
  value       = module.vpce_doctor.report_log_group_name
}
