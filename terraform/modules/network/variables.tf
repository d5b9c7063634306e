variable "name" {
  description = "Name prefix for every resource, <project>-<environment> (e.g. clickstream-prod)."
  type        = string
  default     = "clickstream-prod"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.name))
    error_message = "name must be 3-31 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Tags merged into every resource of this module."
  type        = map(string)
  default     = {}
}

variable "cidr_block" {
  description = "IPv4 CIDR of the VPC; a /16 to /24. Subnets are carved from it with cidrsubnet(…, 4, n)."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 24
    error_message = "cidr_block must be a valid IPv4 CIDR between /16 and /24."
  }
}

variable "az_count" {
  description = "Availability zones to spread subnets over (the ETL Lambda runs in every private one)."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3."
  }
}

variable "private_egress" {
  description = <<-EOT
    How private subnets reach AWS APIs and the internet.
    "nat_instance": a self-healing t4g.nano NAT instance (about 7 USD/month with its public IPv4 address); both deployment profiles use it.
    "nat_gateway": one managed NAT gateway (about 37 USD/month with its address, plus 0.045 USD/GB).
    "endpoints": interface endpoints for SSM, SSM messages, EC2 messages, Logs, SQS, SNS and CloudWatch (about 7.3 USD/month each per AZ) and no internet route at all; packages must come from a baked AMI or an S3 mirror.
    The S3 gateway endpoint is always created: it is free and keeps raw-bucket reads off the NAT.
  EOT
  type        = string
  default     = "nat_instance"

  validation {
    condition     = contains(["nat_instance", "nat_gateway", "endpoints"], var.private_egress)
    error_message = "private_egress must be one of nat_instance, nat_gateway, endpoints."
  }
}

variable "nat_instance_type" {
  description = "Instance type of the NAT instance (Graviton, like its Amazon Linux 2023 arm64 image)."
  type        = string
  default     = "t4g.nano"

  validation {
    condition     = can(regex("^[a-z][0-9]+g[a-z]*\\.[a-z0-9]+$", var.nat_instance_type))
    error_message = "nat_instance_type must be a Graviton type such as t4g.nano."
  }
}

variable "interface_endpoint_az_count" {
  description = "How many AZs get interface endpoint ENIs (each endpoint costs per AZ-hour). 1 is cheapest; clients in other AZs still reach it."
  type        = number
  default     = 1

  validation {
    condition     = var.interface_endpoint_az_count >= 1 && var.interface_endpoint_az_count <= 3
    error_message = "interface_endpoint_az_count must be between 1 and 3."
  }
}

variable "interface_endpoint_services" {
  description = "AWS service short names that get interface endpoints when private_egress is endpoints or both."
  type        = list(string)
  default     = ["ssm", "ssmmessages", "ec2messages", "logs", "sqs", "sns", "monitoring"]

  validation {
    condition     = alltrue([for s in var.interface_endpoint_services : can(regex("^[a-z0-9.-]+$", s))])
    error_message = "interface_endpoint_services must be service short names such as ssm or logs."
  }
}

variable "dashboard_port" {
  description = "Port Nginx listens on for CloudFront's VPC origin (modules/dashboard_edge uses the same port)."
  type        = number
  default     = 80

  validation {
    condition     = var.dashboard_port > 0 && var.dashboard_port < 65536 && var.dashboard_port != 5432 && var.dashboard_port != 22
    error_message = "dashboard_port must be a valid TCP port other than 22 and 5432."
  }
}

variable "cloudfront_vpc_origin_security_group_id" {
  description = "ID of the CloudFront-VPCOrigins-Service-SG that CloudFront creates in this VPC with the first VPC origin. Empty: Nginx admits CloudFront's origin-facing prefix list; set (after the first apply): only this account's VPC origins."
  type        = string
  default     = ""

  validation {
    condition     = var.cloudfront_vpc_origin_security_group_id == "" || can(regex("^sg-[0-9a-f]{8,17}$", var.cloudfront_vpc_origin_security_group_id))
    error_message = "cloudfront_vpc_origin_security_group_id must be empty or a security group id."
  }
}

variable "postgres_port" {
  description = "PostgreSQL port on the warehouse host."
  type        = number
  default     = 5432

  validation {
    condition     = var.postgres_port > 1023 && var.postgres_port < 65536
    error_message = "postgres_port must be an unprivileged TCP port."
  }
}

variable "flow_log_retention_days" {
  description = "Retention of VPC flow logs (rejected traffic only) in CloudWatch Logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 3653)."
  }
}
