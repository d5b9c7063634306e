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

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the alert topic (each must confirm the subscription mail)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alarm_emails must be e-mail addresses."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the Lambdas' EMF metrics (clickstream.observability.METRICS_NAMESPACE)."
  type        = string
  default     = "Clickstream"

  validation {
    condition     = can(regex("^[A-Za-z0-9/_.#:-]{1,255}$", var.metrics_namespace))
    error_message = "metrics_namespace must be a valid CloudWatch namespace."
  }
}

variable "api_id" {
  description = "ID of the ingest HTTP API."
  type        = string
}

variable "api_stage" {
  description = "Stage of the ingest HTTP API."
  type        = string
  default     = "$default"
}

variable "ingest_function_name" {
  description = "Name of the ingest Lambda."
  type        = string
}

variable "ingest_dlq_name" {
  description = "Name of the ingest dead-letter queue (rejected events)."
  type        = string
}

variable "ingest_parking_queue_name" {
  description = "Name of the ingest parking queue (batches parked because S3 failed)."
  type        = string
}

variable "etl_function_name" {
  description = "Name of the ETL Lambda."
  type        = string
}

variable "etl_timeout_seconds" {
  description = "Timeout of the ETL Lambda; the duration alarm fires at etl_duration_alarm_ratio of it."
  type        = number
  default     = 600

  validation {
    condition     = var.etl_timeout_seconds > 0
    error_message = "etl_timeout_seconds must be positive."
  }
}

variable "delivery_stream_name" {
  description = "Name of the raw buffer's Firehose stream (raw_buffer.delivery_stream_name)."
  type        = string
}

variable "compact_function_name" {
  description = "Name of the compactor Lambda."
  type        = string
}

variable "schedule_group_name" {
  description = "EventBridge Scheduler group of the ETL and compactor schedules."
  type        = string
}

variable "schedule_dlq_name" {
  description = "Name of the schedule dead-letter queue."
  type        = string
}

variable "warehouse_instance_id" {
  description = "Warehouse instance whose EC2 status checks stand for the dashboard's health (no load balancer any more)."
  type        = string
}

variable "alarm_set" {
  description = "essential (lean profile: the alarms that matter most, within CloudWatch's free ten) or full (standard: every alarm of the proposal's list)."
  type        = string
  default     = "full"

  validation {
    condition     = contains(["essential", "full"], var.alarm_set)
    error_message = "alarm_set must be essential or full."
  }
}

variable "create_kms_key" {
  description = "Create a KMS key of this module's own (true) or use kms_key_arn, the stack's one key of the lean profile (false). A plain bool so that count is known at plan time."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "The stack's one KMS key (lean profile, whose policy lets CloudWatch and Budgets use it) for the alert topic, used when create_kms_key is false."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN or null (used only when create_kms_key is false)."
  }
}

variable "api_5xx_threshold" {
  description = "API 5xx responses in 5 minutes that raise the alarm. The ingest answers bad input with 4xx, so any 5xx is a platform fault."
  type        = number
  default     = 1

  validation {
    condition     = var.api_5xx_threshold >= 1
    error_message = "api_5xx_threshold must be at least 1."
  }
}

variable "api_latency_p95_ms" {
  description = "p95 API latency (ms) over 5 minutes that raises the alarm, three periods in a row."
  type        = number
  default     = 1000

  validation {
    condition     = var.api_latency_p95_ms >= 50
    error_message = "api_latency_p95_ms must be at least 50."
  }
}

variable "etl_duration_alarm_ratio" {
  description = "Fraction of the ETL timeout whose crossing raises the duration alarm (a run that nears its timeout is about to fall behind)."
  type        = number
  default     = 0.8

  validation {
    condition     = var.etl_duration_alarm_ratio > 0 && var.etl_duration_alarm_ratio < 1
    error_message = "etl_duration_alarm_ratio must be between 0 and 1."
  }
}

variable "freshness_threshold_minutes" {
  description = "Data freshness SLO: minutes without a successful load before the freshness alarm fires. With an hourly ETL, 120 allows one missed run."
  type        = number
  default     = 120

  validation {
    condition     = var.freshness_threshold_minutes >= 60 && var.freshness_threshold_minutes % 60 == 0
    error_message = "freshness_threshold_minutes must be a whole number of hours (60, 120, ...), since the alarm evaluates hourly periods."
  }
}

variable "monthly_budget_usd" {
  description = "Monthly cost budget in USD; alerts at 80% actual and 100% forecast."
  type        = number
  default     = 50

  validation {
    condition     = var.monthly_budget_usd > 0
    error_message = "monthly_budget_usd must be positive."
  }
}

variable "budget_cost_filter_tags" {
  description = "Restrict the budget to resources with these cost-allocation tags (e.g. {Project = \"clickstream\"}); empty budgets the whole account. Tags must be activated as cost-allocation tags first."
  type        = map(string)
  default     = {}
}

variable "slack_team_id" {
  description = "Slack workspace ID (T...) authorized in the AWS Chatbot console; with slack_channel_id, alerts also go to that Slack channel. Empty: no chat channel."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([A-Z0-9]{9,})?$", var.slack_team_id))
    error_message = "slack_team_id must be a Slack workspace ID (9 or more upper-case letters and digits, e.g. T07EA123LEP) or empty."
  }
}

variable "slack_channel_id" {
  description = "Slack channel ID (C...) that receives the alert topic through AWS Chatbot; needs slack_team_id. Empty: no chat channel."
  type        = string
  default     = ""

  validation {
    condition     = can(regex("^([A-Z0-9]{9,})?$", var.slack_channel_id)) && (var.slack_channel_id == "") == (var.slack_team_id == "")
    error_message = "slack_channel_id must be a Slack channel ID (9 or more upper-case letters and digits, e.g. C07EZ1ABC23) or empty, and set together with slack_team_id."
  }
}
