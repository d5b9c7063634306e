variable "name" {
  description = "Name prefix <project>-<environment>."
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

variable "domain_name" {
  description = "Host name of the dashboard (e.g. analytics.example.com)."
  type        = string
  default     = "analytics.example.com"

  validation {
    condition     = can(regex("^[a-z0-9.-]+\\.[a-z]{2,}$", var.domain_name))
    error_message = "domain_name must be a DNS name."
  }
}

variable "certificate_arn" {
  description = "ARN of an ISSUED ACM certificate for domain_name in this region. Empty: this module requests one (DNS validation), validated automatically when route53_zone_id is set."
  type        = string
  default     = ""

  validation {
    condition     = var.certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:", var.certificate_arn))
    error_message = "certificate_arn must be empty or an ACM certificate ARN."
  }
}

variable "route53_zone_id" {
  description = "Public Route 53 zone for domain_name. When set, the certificate is DNS-validated and an alias record is created; empty leaves DNS to the operator."
  type        = string
  default     = ""
}

variable "vpc_id" {
  description = "VPC of the ALB and the dashboard host."
  type        = string
  default     = "vpc-00000000000000001"
}

variable "public_subnet_ids" {
  description = "Public subnets of the ALB (at least two AZs)."
  type        = list(string)
  default     = ["subnet-00000000000000001", "subnet-00000000000000002"]

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "An ALB needs subnets in at least two availability zones."
  }
}

variable "security_group_id" {
  description = "Security group of the ALB (network.security_group_alb_id)."
  type        = string
  default     = "sg-00000000000000001"
}

variable "target_instance_id" {
  description = "Instance serving the dashboard through Nginx (the warehouse host)."
  type        = string
  default     = "i-00000000000000001"
}

variable "target_port" {
  description = "Port Nginx listens on for the ALB."
  type        = number
  default     = 443

  validation {
    condition     = var.target_port > 0 && var.target_port < 65536
    error_message = "target_port must be a TCP port."
  }
}

variable "health_check_path" {
  description = "Path Nginx answers 200 on without authentication."
  type        = string
  default     = "/healthz"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with /."
  }
}

variable "cognito_user_pool_arn" {
  description = "User pool the listener authenticates against."
  type        = string
  default     = "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_example"
}

variable "cognito_user_pool_client_id" {
  description = "Confidential app client of the dashboard (auth.user_pool_client_dashboard_id)."
  type        = string
  default     = "exampleclientid"
}

variable "cognito_user_pool_domain" {
  description = "Cognito hosted domain prefix (auth.user_pool_domain)."
  type        = string
  default     = "clickstream-prod-auth"
}

variable "session_timeout_seconds" {
  description = "How long an authenticated dashboard session lasts before Cognito is asked again."
  type        = number
  default     = 28800

  validation {
    condition     = var.session_timeout_seconds >= 300 && var.session_timeout_seconds <= 604800
    error_message = "session_timeout_seconds must be between 300 and 604800."
  }
}

variable "access_log_bucket_id" {
  description = "Bucket for the ALB's access logs (raw_store.access_log_bucket_id)."
  type        = string
  default     = "clickstream-prod-access-logs-000000000000"
}

variable "deletion_protection" {
  description = "Refuse to delete the ALB. Keep true in prod."
  type        = bool
  default     = true
}
