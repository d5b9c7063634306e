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

variable "package_path" {
  description = "Path of the ETL zip built by `make package`; the compactor runs from the same zip."
  type        = string
  default     = "../../../build/etl.zip"

  validation {
    condition     = endswith(var.package_path, ".zip")
    error_message = "package_path must point at a .zip file."
  }
}

variable "schedule_expression" {
  description = "EventBridge Scheduler expression of the ETL (layout.ETL_SCHEDULE_EXPRESSION in production). Shorter cadences mean fresher dashboards and more invocations."
  type        = string
  default     = "rate(1 hour)"

  validation {
    condition     = can(regex("^(rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)|cron\\(\\S+ \\S+ \\S+ \\S+ \\S+ \\S+\\))$", var.schedule_expression))
    error_message = "schedule_expression must be rate(1 hour), rate(N minutes|hours|days) or a six-field cron(...)."
  }
}

variable "compaction_schedule_expression" {
  description = "When the compactor runs. Each run compacts the closed hours (older than the ETL grace window) that still have small objects, a bounded number per run; hourly keeps up with hourly partitions and catches up after a gap."
  type        = string
  default     = "cron(20 * * * ? *)"

  validation {
    condition     = can(regex("^(rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)|cron\\(\\S+ \\S+ \\S+ \\S+ \\S+ \\S+\\))$", var.compaction_schedule_expression))
    error_message = "compaction_schedule_expression must be a rate(...) or six-field cron(...) expression."
  }
}

variable "schedule_timezone" {
  description = "Time zone cron expressions are read in."
  type        = string
  default     = "UTC"

  validation {
    condition     = can(regex("^[A-Za-z_]+(/[A-Za-z_+-]+)*$", var.schedule_timezone))
    error_message = "schedule_timezone must be an IANA time zone name such as UTC or Europe/Paris."
  }
}

variable "schedule_enabled" {
  description = "Run the schedules. Disable during a warehouse restore."
  type        = bool
  default     = true
}

variable "compaction_enabled" {
  description = "Run the compactor's schedule. Off: Firehose (modules/raw_buffer) already writes objects of buffering_size MiB or buffering_interval seconds, and the compactor only merges the per-request events-* objects of the direct S3 path. Turn on only for a deployment without the raw buffer, or when many Athena queries over months of small objects make 64 MB files worth their rewrite (docs/runbook.md)."
  type        = bool
  default     = false
}

variable "raw_bucket_id" {
  description = "Name of the raw bucket (RAW_BUCKET)."
  type        = string
}

variable "read_raw_policy_arn" {
  description = "Managed policy granting list/get on raw partitions (raw_store.policy_read_raw_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/", var.read_raw_policy_arn))
    error_message = "read_raw_policy_arn must be an IAM policy ARN."
  }
}

variable "compact_raw_policy_arn" {
  description = "Managed policy granting the compactor's writes and deletes (raw_store.policy_compact_raw_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/", var.compact_raw_policy_arn))
    error_message = "compact_raw_policy_arn must be an IAM policy ARN."
  }
}

variable "database_url_parameter_name" {
  description = "SSM SecureString holding the ETL's DSN (DATABASE_URL_PARAM)."
  type        = string
}

variable "database_url_parameter_arn" {
  description = "ARN of the DSN parameter."
  type        = string
}

variable "sns_topic_arn" {
  description = "Topic the ETL publishes run failures to (SNS_TOPIC_ARN)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:", var.sns_topic_arn))
    error_message = "sns_topic_arn must be an SNS topic ARN."
  }
}

variable "alerts_kms_key_arn" {
  description = "KMS key of the alert topic (monitoring.kms_key_arn): publishing to an encrypted topic needs a data key from it."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.alerts_kms_key_arn))
    error_message = "alerts_kms_key_arn must be a KMS key ARN."
  }
}

variable "subnet_ids" {
  description = "Private subnets the ETL and compactor functions run in (they must reach PostgreSQL)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids must not be empty."
  }
}

variable "security_group_ids" {
  description = "Security groups of the ETL and compactor functions (network.security_group_etl_id: egress to PostgreSQL and HTTPS)."
  type        = list(string)

  validation {
    condition     = length(var.security_group_ids) > 0
    error_message = "security_group_ids must not be empty."
  }
}

variable "memory_size" {
  description = "ETL memory in MB; gzip, JSON and COPY buffers of one hour's objects."
  type        = number
  default     = 1024

  validation {
    condition     = var.memory_size >= 256 && var.memory_size <= 10240
    error_message = "memory_size must be between 256 and 10240 MB."
  }
}

variable "timeout_seconds" {
  description = "ETL timeout. The ETL stops taking new objects 60 s before it (ETL_TIME_BUDGET_SECONDS) and resumes next run."
  type        = number
  default     = 600

  validation {
    condition     = var.timeout_seconds >= 120 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be between 120 and 900."
  }
}

variable "grace_hours" {
  description = "Late-data window: how many past hours each run re-lists for objects that arrived late (ETL_GRACE_HOURS)."
  type        = number
  default     = 2

  validation {
    condition     = var.grace_hours >= 0 && var.grace_hours <= 48
    error_message = "grace_hours must be between 0 and 48."
  }
}

variable "log_retention_days" {
  description = "Retention of the ETL and compactor logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of the functions."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

# What the ETL reads after each run for the dashboard's Reliability module (queue
# depths, the ingest Lambda's invocations, errors and throttles), so the dashboard
# host needs no AWS credentials. Empty: that part of the snapshot says "not configured"
# (Lambda environment values cannot be null).
variable "dlq_url" {
  description = "URL of the ingest's dead-letter queue of rejected events (DLQ_URL); its depth goes into each run's reliability snapshot."
  type        = string
  default     = ""

  validation {
    condition     = var.dlq_url == "" || can(regex("^https://sqs\\.", var.dlq_url))
    error_message = "dlq_url must be an SQS queue URL or empty."
  }
}

variable "parking_queue_url" {
  description = "URL of the ingest's parking queue of batches S3 refused (PARKING_QUEUE_URL); its depth goes into each run's reliability snapshot."
  type        = string
  default     = ""

  validation {
    condition     = var.parking_queue_url == "" || can(regex("^https://sqs\\.", var.parking_queue_url))
    error_message = "parking_queue_url must be an SQS queue URL or empty."
  }
}

variable "ingest_function_name" {
  description = "Name of the ingest Lambda (INGEST_FUNCTION_NAME) whose invocations, errors and throttles each run reads from CloudWatch."
  type        = string
  default     = ""

  validation {
    condition     = var.ingest_function_name == "" || can(regex("^[A-Za-z0-9_-]{1,64}$", var.ingest_function_name))
    error_message = "ingest_function_name must be a Lambda function name or empty."
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
