variable "name" {
  description = "Name prefix <project>-<environment>; the raw bucket becomes <name>-raw-<account id> (layout.RAW_BUCKET_NAME_PATTERN)."
  type        = string
  default     = "clickstream-prod"

  validation {
    condition     = can(regex("^[a-z0-9-]{3,20}-(prod|dev|staging|local)$", var.name))
    error_message = "name must be <project>-<environment>: 3-20 of [a-z0-9-], then -prod, -dev, -staging or -local."
  }
}

variable "tags" {
  description = "Tags merged into every resource of this module."
  type        = map(string)
  default     = {}
}

variable "transition_ia_days" {
  description = "Days after which raw objects move from S3 Standard to Standard-IA (S3's minimum is 30)."
  type        = number
  default     = 30

  validation {
    condition     = var.transition_ia_days >= 30
    error_message = "transition_ia_days must be at least 30 (S3 refuses earlier Standard-IA transitions)."
  }
}

variable "transition_glacier_days" {
  description = "Days after which raw objects move to Glacier Flexible Retrieval."
  type        = number
  default     = 365

  validation {
    condition     = var.transition_glacier_days >= var.transition_ia_days + 30
    error_message = "transition_glacier_days must be at least 30 days after transition_ia_days (Standard-IA bills a 30-day minimum)."
  }
}

variable "expiration_days" {
  description = "Days after which raw objects are deleted; 0 keeps them forever. Must leave 90 days in Glacier (its minimum billed duration)."
  type        = number
  default     = 730

  validation {
    condition     = var.expiration_days == 0 || var.expiration_days >= var.transition_glacier_days + 90
    error_message = "expiration_days must be 0 (never) or at least transition_glacier_days + 90."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced or deleted object version is kept (the compactor deletes small objects; versions let a bad compaction be undone)."
  type        = number
  default     = 30

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days must be at least 1."
  }
}

variable "access_log_expiration_days" {
  description = "Days S3 server access logs are kept in the log bucket."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_expiration_days >= 1
    error_message = "access_log_expiration_days must be at least 1."
  }
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete non-empty buckets. Keep false in prod."
  type        = bool
  default     = false
}

variable "stack_key" {
  description = "Make this module's key the one key of the stack (lean profile): its policy then also lets CloudWatch alarms and Budgets publish to the encrypted alert topic."
  type        = bool
  default     = false
}
