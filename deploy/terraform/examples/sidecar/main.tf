# vpce-doctor beside an app container in an ECS (Fargate) service, in the start-up gate shape:
# the app container starts only once the sidecar's /health says its endpoints work. For the
# observer shape set shape = "observer": the sidecar then never affects the task.
#
#   terraform init && terraform apply -var-file=prod.tfvars

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
  description = "Region of the cluster."
  type        = string
  default     = "us-east-1"
}

variable "cluster_arn" {
  description = "ECS cluster the service runs in."
  type        = string
}

variable "subnet_ids" {
  description = "Private subnets of the service (no NAT: the VPC endpoints are the only way out)."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the tasks."
  type        = list(string)
}

variable "agent_image" {
  description = "The vpce-doctor image in your registry."
  type        = string
}

variable "app_image" {
  description = "Your application's image."
  type        = string
}

module "vpce_doctor" {
  source = "../../modules/vpce-doctor"
  # From another repository:
  # source = "git::https://github.com/OWNER/vpce-doctor.git//deploy/terraform/modules/vpce-doctor?ref=v0.1.0"

  shape          = "startup-gate"
  image          = var.agent_image
  profiles       = ["ecs-fargate"]
  services       = ["secretsmanager", "sts"]
  task_role_name = aws_iam_role.task.name
  tags           = { service = "orders" }
}

data "aws_iam_policy_document" "assume_ecs_tasks" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "task" {
  name               = "orders-task"
  assume_role_policy = data.aws_iam_policy_document.assume_ecs_tasks.json
}

resource "aws_iam_role" "execution" {
  name               = "orders-execution"
  assume_role_policy = data.aws_iam_policy_document.assume_ecs_tasks.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/orders"
  retention_in_days = 30
}

locals {
  app_container = {
    name         = "orders"
    image        = var.app_image
    essential    = true
    portMappings = [{ containerPort = 3000, protocol = "tcp" }]
    # [] in the observer shape; in the start-up gate shape the app waits for HEALTHY.
    dependsOn = module.vpce_doctor.app_depends_on
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "orders"
      }
    }
  }
}

resource "aws_ecs_task_definition" "orders" {
  family                   = "orders"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 512
  memory                   = 1024
  task_role_arn            = aws_iam_role.task.arn
  execution_role_arn       = aws_iam_role.execution.arn
  container_definitions    = jsonencode([local.app_container, module.vpce_doctor.container_definition])
}

resource "aws_ecs_service" "orders" {
  name            = "orders"
  cluster         = var.cluster_arn
  task_definition = aws_ecs_task_definition.orders.arn
  desired_count   = 2
  launch_type     = "FARGATE"

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = false
  }
}

output "sidecar_log_group" {
  description = "Where the sidecar's logs and EMF metric lines go."
  value       = module.vpce_doctor.sidecar_log_group_name
}
