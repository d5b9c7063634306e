# What an operator sets per deployment (terraform.tfvars). Validated by
# modules/platform, which declares every input with its validation; the sizing this
# environment differs in is set on the module call in main.tf.

variable "project" {
  description = "Project name; first part of every resource name and the Project tag."
  type        = string
  default     = "clickstream"
}

variable "owner" {
  description = "Team or person accountable for the stack (Owner tag)."
  type        = string
  default     = "analytics"
}

variable "region" {
  description = "AWS region of the stack (CloudFront's WAF and certificate are always in us-east-1)."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-west-1."
  }
}

variable "tags" {
  description = "Extra tags on every resource, beside the provider default tags."
  type        = map(string)
  default     = {}
}

variable "site_domain" {
  description = "Host name of the store (e.g. shop.example.com). Its https origin is the CORS origin of the ingest API and the ALLOWED_ORIGINS of the ingest Lambda."
  type        = string
  default     = "dev.shop.example.com"
}

variable "extra_allowed_origins" {
  description = "Further https origins allowed to post events (e.g. a www. variant)."
  type        = list(string)
  default     = []
}

variable "site_certificate_arn" {
  description = "ACM certificate in us-east-1 for site_domain. Empty: CloudFront serves only its *.cloudfront.net name until you add one."
  type        = string
  default     = ""
}

variable "dashboard_domain" {
  description = "Host name of the dashboard ALB (e.g. analytics.example.com)."
  type        = string
  default     = "analytics-dev.example.com"
}

variable "dashboard_certificate_arn" {
  description = "Issued ACM certificate for dashboard_domain in var.region; empty lets the stack request one (validated automatically with route53_zone_id)."
  type        = string
  default     = ""
}

variable "route53_zone_id" {
  description = "Public Route 53 zone of dashboard_domain; empty leaves DNS records to you (outputs list them)."
  type        = string
  default     = ""
}

variable "dashboard_allowed_cidrs" {
  description = "CIDRs that may reach the dashboard ALB; Cognito authenticates everyone regardless."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "cognito_domain_prefix" {
  description = "Cognito hosted-UI domain prefix; globally unique per region."
  type        = string
  default     = "clickstream-dev-auth"
}

variable "private_egress" {
  description = "nat, endpoints or both: how private subnets reach AWS APIs (see modules/network and the cost table in docs/deploy.md)."
  type        = string
  default     = "nat"
}

variable "alarm_emails" {
  description = "E-mail addresses that receive alarms and budget alerts."
  type        = list(string)
  default     = []
}

variable "monthly_budget_usd" {
  description = "Monthly AWS budget (USD) with actual and forecast alerts."
  type        = number
  default     = 30
}

variable "secrets_version" {
  description = "Bump to regenerate the database passwords and DSN (then re-run the warehouse playbook)."
  type        = number
  default     = 1
}
