# --- Naming, tags and deployment profile --------------------------------------

variable "project" {
  description = "Project name; first part of every resource name and the Project tag."
  type        = string
  default     = "clickstream"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,19}$", var.project))
    error_message = "project must be 3-20 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name; second part of every resource name and the Environment tag."
  type        = string
  default     = "prod"

  validation {
    condition     = contains(["prod", "dev", "staging"], var.environment)
    error_message = "environment must be prod, dev or staging (layout.RAW_BUCKET_NAME_PATTERN accepts these)."
  }
}

variable "tags" {
  description = "Tags merged into every resource, beside the provider default tags of the env root."
  type        = map(string)
  default     = {}
}

variable "deployment_profile" {
  description = "lean (a small store: NAT instance, one KMS key, the essential alarms, a rate-only WAF, t4g.micro; about 25 USD/month fixed) or standard (managed WAF rules, the full alarm set, a key per data class, t4g.small; about 40). `make cost` prints both from the plan."
  type        = string
  default     = "standard"

  validation {
    condition     = contains(["lean", "standard"], var.deployment_profile)
    error_message = "deployment_profile must be lean or standard."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy remove non-empty buckets and the user pools (and drop deletion protection). Never in prod; envs/dev sets true."
  type        = bool
  default     = false
}

# --- Store site and its CloudFront distribution -------------------------------

variable "site_domain" {
  description = "Host name of the store (e.g. shop.example.com). Its https origin is the CORS origin of the ingest API and the ALLOWED_ORIGINS of the ingest Lambda."
  type        = string
  default     = "shop.example.com"

  validation {
    condition     = can(regex("^[a-z0-9.-]+\\.[a-z]{2,}$", var.site_domain))
    error_message = "site_domain must be a DNS name without scheme."
  }
}

variable "extra_allowed_origins" {
  description = "Further https origins allowed to post events (e.g. a www. variant)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.extra_allowed_origins : can(regex("^https://[a-z0-9.-]+(:[0-9]+)?$", o))])
    error_message = "extra_allowed_origins must be https origins without path or trailing slash."
  }
}

variable "site_certificate_arn" {
  description = "ACM certificate in us-east-1 for site_domain. Empty: CloudFront serves only its *.cloudfront.net name until you add one."
  type        = string
  default     = ""
}

variable "cloudfront_price_class" {
  description = "CloudFront price class."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.cloudfront_price_class)
    error_message = "cloudfront_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "web_acl_arn" {
  description = "CloudFront-scope WAF web ACL of the store and dashboard distributions (modules/edge_waf, created by the env root with its us-east-1 provider)."
  type        = string
  default     = null
}

# --- Shopper sign-in (Cognito) ------------------------------------------------

variable "cognito_domain_prefix" {
  description = "Cognito hosted-UI domain prefix; globally unique per region."
  type        = string
  default     = "clickstream-prod-auth"

  validation {
    condition     = can(regex("^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$", var.cognito_domain_prefix))
    error_message = "cognito_domain_prefix must be 3-63 lowercase letters, digits or hyphens."
  }
}

variable "cognito_advanced_security_mode" {
  description = "Cognito threat protection: OFF, AUDIT or ENFORCED (the latter two bill per MAU on the Plus tier)."
  type        = string
  default     = "OFF"

  validation {
    condition     = contains(["OFF", "AUDIT", "ENFORCED"], var.cognito_advanced_security_mode)
    error_message = "cognito_advanced_security_mode must be OFF, AUDIT or ENFORCED."
  }
}

# --- Network ------------------------------------------------------------------

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be an IPv4 CIDR."
  }
}

variable "private_egress" {
  description = "nat_instance, nat_gateway or endpoints: how private subnets reach AWS APIs (modules/network). null: the profile's choice (nat_instance in both)."
  type        = string
  default     = null

  validation {
    condition     = var.private_egress == null || contains(["nat_instance", "nat_gateway", "endpoints"], coalesce(var.private_egress, "nat_instance"))
    error_message = "private_egress must be nat_instance, nat_gateway, endpoints or null."
  }
}

variable "interface_endpoint_az_count" {
  description = "AZs that get interface endpoint ENIs when private_egress uses endpoints."
  type        = number
  default     = 1

  validation {
    condition     = var.interface_endpoint_az_count >= 1 && var.interface_endpoint_az_count <= 3
    error_message = "interface_endpoint_az_count must be between 1 and 3."
  }
}

variable "cloudfront_vpc_origin_security_group_id" {
  description = "After the first apply: the CloudFront-VPCOrigins-Service-SG in the stack's VPC, to admit only this account's VPC origins to Nginx instead of CloudFront's whole origin-facing prefix list (docs/deploy.md)."
  type        = string
  default     = ""
}

# --- Raw store ----------------------------------------------------------------

variable "raw_transition_ia_days" {
  description = "Days before raw objects move to Standard-IA."
  type        = number
  default     = 30

  validation {
    condition     = var.raw_transition_ia_days >= 30
    error_message = "raw_transition_ia_days must be at least 30."
  }
}

variable "raw_transition_glacier_days" {
  description = "Days before raw objects move to Glacier Flexible Retrieval."
  type        = number
  default     = 365

  validation {
    condition     = var.raw_transition_glacier_days >= 60
    error_message = "raw_transition_glacier_days must be at least 60."
  }
}

variable "raw_expiration_days" {
  description = "Days before raw objects are deleted; 0 keeps them forever."
  type        = number
  default     = 730

  validation {
    condition     = var.raw_expiration_days >= 0
    error_message = "raw_expiration_days must be 0 or more."
  }
}

# --- Ingest API ---------------------------------------------------------------

variable "ingest_memory_size" {
  description = "Ingest Lambda memory (MB)."
  type        = number
  default     = 256

  validation {
    condition     = var.ingest_memory_size >= 128 && var.ingest_memory_size <= 10240
    error_message = "ingest_memory_size must be between 128 and 10240."
  }
}

variable "ingest_reserved_concurrency" {
  description = "Reserved concurrency of the ingest Lambda (cost and abuse ceiling)."
  type        = number
  default     = 20

  validation {
    condition     = var.ingest_reserved_concurrency >= 1
    error_message = "ingest_reserved_concurrency must be at least 1."
  }
}

variable "api_throttling_rate_limit" {
  description = "Ingest API steady-state requests per second."
  type        = number
  default     = 200

  validation {
    condition     = var.api_throttling_rate_limit > 0
    error_message = "api_throttling_rate_limit must be positive."
  }
}

variable "api_throttling_burst_limit" {
  description = "Ingest API burst."
  type        = number
  default     = 400

  validation {
    condition     = var.api_throttling_burst_limit > 0
    error_message = "api_throttling_burst_limit must be positive."
  }
}

# --- ETL ----------------------------------------------------------------------

variable "etl_schedule_expression" {
  description = "ETL cadence (EventBridge Scheduler expression); production runs hourly (layout.ETL_SCHEDULE_EXPRESSION)."
  type        = string
  default     = "rate(1 hour)"

  validation {
    condition     = can(regex("^(rate\\(.+\\)|cron\\(.+\\))$", var.etl_schedule_expression))
    error_message = "etl_schedule_expression must be a rate(...) or cron(...) expression."
  }
}

variable "raw_buffer_size_mb" {
  description = "Firehose buffer size (MiB) of the raw buffer: it delivers an object at this size or at raw_buffer_interval_seconds."
  type        = number
  default     = 5

  validation {
    condition     = var.raw_buffer_size_mb >= 1 && var.raw_buffer_size_mb <= 128
    error_message = "raw_buffer_size_mb must be from 1 to 128."
  }
}

variable "raw_buffer_interval_seconds" {
  description = "Longest wait of a record in the raw buffer (seconds, 0-900); must stay below the ETL's grace window (2 h) and adds to data freshness."
  type        = number
  default     = 300

  validation {
    condition     = var.raw_buffer_interval_seconds >= 0 && var.raw_buffer_interval_seconds <= 900
    error_message = "raw_buffer_interval_seconds must be from 0 to 900."
  }
}

variable "compaction_enabled" {
  description = "Run the compactor's schedule (off: Firehose objects are already large; see docs/runbook.md)."
  type        = bool
  default     = false
}

variable "etl_memory_size" {
  description = "ETL Lambda memory (MB)."
  type        = number
  default     = 1024

  validation {
    condition     = var.etl_memory_size >= 256 && var.etl_memory_size <= 10240
    error_message = "etl_memory_size must be between 256 and 10240."
  }
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

# --- Warehouse host -----------------------------------------------------------

variable "warehouse_os" {
  description = "Warehouse base image: debian-12 or ubuntu-24.04."
  type        = string
  default     = "debian-12"

  validation {
    condition     = contains(["debian-12", "ubuntu-24.04"], var.warehouse_os)
    error_message = "warehouse_os must be debian-12 or ubuntu-24.04."
  }
}

variable "warehouse_instance_type" {
  description = "Warehouse instance type (Graviton); null: the profile's (lean t4g.micro, standard t4g.small)."
  type        = string
  default     = null

  validation {
    condition     = var.warehouse_instance_type == null || can(regex("^[a-z][0-9]+g[a-z]*\\.[a-z0-9]+$", coalesce(var.warehouse_instance_type, "t4g.small")))
    error_message = "warehouse_instance_type must be a Graviton type such as t4g.small."
  }
}

variable "warehouse_data_volume_gb" {
  description = "PostgreSQL data volume size (GiB); null: the profile's (lean 10, standard 50)."
  type        = number
  default     = null

  validation {
    condition     = var.warehouse_data_volume_gb == null || coalesce(var.warehouse_data_volume_gb, 10) >= 10
    error_message = "warehouse_data_volume_gb must be at least 10."
  }
}

variable "snapshot_retain_count" {
  description = "Daily warehouse snapshots kept."
  type        = number
  default     = 7

  validation {
    condition     = var.snapshot_retain_count >= 1
    error_message = "snapshot_retain_count must be at least 1."
  }
}

variable "secrets_version" {
  description = "Bump to regenerate the database passwords and DSN (then re-run the warehouse playbook)."
  type        = number
  default     = 1

  validation {
    condition     = var.secrets_version >= 1
    error_message = "secrets_version must be at least 1."
  }
}

# --- Dashboard and admin sign-in ----------------------------------------------

variable "dashboard_domain" {
  description = "Host name of the dashboard's CloudFront distribution (e.g. analytics.example.com); the admin sign-in's callback is https://<it>."
  type        = string
  default     = "analytics.example.com"

  validation {
    condition     = can(regex("^[a-z0-9.-]+\\.[a-z]{2,}$", var.dashboard_domain))
    error_message = "dashboard_domain must be a DNS name without scheme."
  }
}

variable "dashboard_certificate_arn" {
  description = "ACM certificate in us-east-1 for dashboard_domain (CloudFront reads certificates there only). Empty: the distribution answers only on its *.cloudfront.net name and the sign-in cannot complete."
  type        = string
  default     = ""
}

variable "route53_zone_id" {
  description = "Public Route 53 zone of dashboard_domain; set, the stack creates its A/AAAA aliases. Empty leaves DNS records to you (output dashboard_distribution_domain_name)."
  type        = string
  default     = ""
}

variable "admin_domain_prefix" {
  description = "Hosted sign-in domain prefix of the admin pool; globally unique per region, different from cognito_domain_prefix."
  type        = string
  default     = "clickstream-prod-admin"

  validation {
    condition     = can(regex("^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$", var.admin_domain_prefix))
    error_message = "admin_domain_prefix must be 3-63 lowercase letters, digits or hyphens."
  }
}

variable "admin_emails" {
  description = "Dashboard admins Terraform creates in the admin-only pool (each gets an invitation mail)."
  type        = list(string)
  default     = []
}

variable "admin_mfa_configuration" {
  description = "OPTIONAL (admins may add an authenticator app) or ON (mandatory)."
  type        = string
  default     = "OPTIONAL"

  validation {
    condition     = contains(["OPTIONAL", "ON"], var.admin_mfa_configuration)
    error_message = "admin_mfa_configuration must be OPTIONAL or ON."
  }
}

variable "edge_auth_lambda_qualified_arn" {
  description = "Published version of the Lambda@Edge sign-in (modules/edge_auth, created by the env root with its us-east-1 provider)."
  type        = string
}

# --- Monitoring, logs and budget ----------------------------------------------

variable "freshness_threshold_minutes" {
  description = "Minutes without a successful ETL load before the freshness alarm fires (whole hours)."
  type        = number
  default     = 120

  validation {
    condition     = var.freshness_threshold_minutes >= 60 && var.freshness_threshold_minutes % 60 == 0
    error_message = "freshness_threshold_minutes must be a whole number of hours."
  }
}

variable "log_retention_days" {
  description = "Retention of Lambda, API and flow logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts."
  }
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
  description = "Monthly AWS budget (USD) with actual and forecast alerts; null: the profile's, set above its fixed cost (make cost): lean 35, standard 60."
  type        = number
  default     = null

  validation {
    condition     = var.monthly_budget_usd == null || coalesce(var.monthly_budget_usd, 1) > 0
    error_message = "monthly_budget_usd must be positive."
  }
}
