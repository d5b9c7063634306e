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
  default     = "shop.example.com"
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
  description = "Host name of the dashboard's CloudFront distribution (e.g. analytics.example.com)."
  type        = string
  default     = "analytics.example.com"
}

variable "dashboard_certificate_arn" {
  description = "ACM certificate in us-east-1 for dashboard_domain (CloudFront reads certificates there only). Empty: only the *.cloudfront.net name answers and the sign-in cannot complete."
  type        = string
  default     = ""
}

variable "route53_zone_id" {
  description = "Public Route 53 zone of dashboard_domain; set, the stack creates its A/AAAA aliases. Empty leaves DNS to you (output dashboard_distribution_domain_name)."
  type        = string
  default     = ""
}

variable "cognito_domain_prefix" {
  description = "Cognito hosted-UI domain prefix; globally unique per region."
  type        = string
  default     = "clickstream-prod-auth"
}

variable "private_egress" {
  description = "nat_instance, nat_gateway or endpoints: how private subnets reach AWS APIs (modules/network); null keeps the profile's (nat_instance)."
  type        = string
  default     = null
}

variable "alarm_emails" {
  description = "E-mail addresses that receive alarms and budget alerts."
  type        = list(string)
  default     = []
}

variable "slack_team_id" {
  description = "Slack workspace ID (T...) authorized in the AWS Chatbot console; with slack_channel_id, alarms and business alerts also go to that Slack channel. Empty: e-mail only."
  type        = string
  default     = ""
}

variable "slack_channel_id" {
  description = "Slack channel ID (C...) that receives the alert topic through AWS Chatbot; needs slack_team_id. Empty: e-mail only."
  type        = string
  default     = ""
}

variable "monthly_budget_usd" {
  description = "Monthly AWS budget (USD) with actual and forecast alerts; null follows deployment_profile (above its fixed cost, see make cost)."
  type        = number
  default     = null
}

variable "cloudfront_vpc_origin_security_group_id" {
  description = "After the first apply: the CloudFront-VPCOrigins-Service-SG in the stack's VPC, to admit only this account's VPC origins to Nginx instead of CloudFront's whole origin-facing prefix list (docs/deploy.md)."
  type        = string
  default     = ""
}

variable "deployment_profile" {
  description = "lean (a small store, about 25 USD/month fixed) or standard (about 40); docs/deploy.md compares them."
  type        = string
  default     = "standard"

  validation {
    condition     = contains(["lean", "standard"], var.deployment_profile)
    error_message = "deployment_profile must be lean or standard."
  }
}

variable "admin_domain_prefix" {
  description = "Hosted sign-in domain prefix of the admin-only pool; globally unique per region."
  type        = string
  default     = "clickstream-prod-admin"
}

variable "admin_emails" {
  description = "Dashboard admins created in the admin-only pool (each gets an invitation mail); more with `aws cognito-idp admin-create-user`."
  type        = list(string)
  default     = []
}

variable "admin_mfa_configuration" {
  description = "OPTIONAL (admins may add an authenticator app) or ON (mandatory)."
  type        = string
  default     = "OPTIONAL"
}

variable "secrets_version" {
  description = "Bump to regenerate the database passwords and DSN (then re-run the warehouse playbook)."
  type        = number
  default     = 1
}

variable "business_alerts" {
  description = "Business alert thresholds the ETL checks after each successful run and publishes to sns_topic_arn: conversion below conversion_min_percent over conversion_hours, no purchases for no_purchase_hours, sessions or revenue over compare_hours more than drop_percent below the same hours last week; each needs min_sessions sessions to judge (docs/runbook.md)."
  type = object({
    enabled                = optional(bool, true)
    conversion_min_percent = optional(number, 0.5)
    conversion_hours       = optional(number, 6)
    no_purchase_hours      = optional(number, 3)
    compare_hours          = optional(number, 6)
    drop_percent           = optional(number, 50)
    min_sessions           = optional(number, 50)
  })
  default = {}

  validation {
    condition = (
      var.business_alerts.drop_percent > 0 && var.business_alerts.drop_percent <= 100 &&
      var.business_alerts.conversion_min_percent >= 0 && var.business_alerts.conversion_min_percent <= 100 &&
      alltrue([for h in [var.business_alerts.conversion_hours, var.business_alerts.no_purchase_hours, var.business_alerts.compare_hours] : h >= 1 && h <= 168 && floor(h) == h]) &&
      var.business_alerts.min_sessions >= 0 && floor(var.business_alerts.min_sessions) == var.business_alerts.min_sessions
    )
    error_message = "business_alerts: drop_percent in (0, 100], conversion_min_percent in [0, 100], the *_hours whole numbers 1-168, min_sessions a whole number >= 0."
  }
}
