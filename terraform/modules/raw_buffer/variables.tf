variable "name" {
  description = "Name prefix <project>-<environment>; the stream is <name>-raw-buffer."
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

variable "raw_bucket_arn" {
  description = "ARN of the raw bucket Firehose delivers to (raw_store.bucket_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]{3,63}$", var.raw_bucket_arn))
    error_message = "raw_bucket_arn must be an S3 bucket ARN."
  }
}

variable "raw_kms_key_arn" {
  description = "The raw bucket's KMS key (raw_store.kms_key_arn): encrypts the stream's buffer and every object it writes."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.raw_kms_key_arn))
    error_message = "raw_kms_key_arn must be a KMS key ARN."
  }
}

variable "buffering_size_mb" {
  description = "Firehose delivers when this many MiB are buffered (before compression), or at buffering_interval_seconds, whichever comes first."
  type        = number
  default     = 5

  validation {
    condition     = var.buffering_size_mb >= 1 && var.buffering_size_mb <= 128 && floor(var.buffering_size_mb) == var.buffering_size_mb
    error_message = "buffering_size_mb must be a whole number from 1 to 128 (Firehose's range)."
  }
}

variable "buffering_interval_seconds" {
  description = "Longest time a record waits in the buffer. The ETL's grace window (ETL_GRACE_HOURS, 2 h) must stay longer: Firehose writes an hour's last records up to this long after the hour."
  type        = number
  default     = 300

  validation {
    condition     = var.buffering_interval_seconds >= 0 && var.buffering_interval_seconds <= 900 && floor(var.buffering_interval_seconds) == var.buffering_interval_seconds
    error_message = "buffering_interval_seconds must be a whole number from 0 to 900 (Firehose's range)."
  }
}

variable "log_retention_days" {
  description = "Days the delivery error log is kept."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts."
  }
}
