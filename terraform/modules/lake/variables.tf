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

variable "raw_bucket_id" {
  description = "Name of the raw bucket the table reads."
  type        = string
}

variable "raw_bucket_arn" {
  description = "ARN of the raw bucket."
  type        = string
}

variable "raw_kms_key_arn" {
  description = "KMS key of the raw bucket; query results are encrypted with it too, since they are derived from raw events."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.raw_kms_key_arn))
    error_message = "raw_kms_key_arn must be a KMS key ARN."
  }
}

variable "projection_start_year" {
  description = "First year partition projection enumerates (the year the stack went live)."
  type        = number
  default     = 2025

  validation {
    condition     = var.projection_start_year >= 2020 && var.projection_start_year <= 2100
    error_message = "projection_start_year must be between 2020 and 2100."
  }
}

variable "projection_end_year" {
  description = "Last year partition projection enumerates."
  type        = number
  default     = 2035

  validation {
    condition     = var.projection_end_year >= var.projection_start_year && var.projection_end_year <= 2100
    error_message = "projection_end_year must be at least projection_start_year and at most 2100."
  }
}

variable "bytes_scanned_cutoff_gb" {
  description = "Athena refuses queries that would scan more than this many GB (5 USD per TB scanned): a guard against an accidental full-history scan."
  type        = number
  default     = 20

  validation {
    condition     = var.bytes_scanned_cutoff_gb >= 1
    error_message = "bytes_scanned_cutoff_gb must be at least 1 (Athena's minimum cutoff is 10 MB)."
  }
}

variable "results_expiration_days" {
  description = "Days Athena query results are kept."
  type        = number
  default     = 30

  validation {
    condition     = var.results_expiration_days >= 1
    error_message = "results_expiration_days must be at least 1."
  }
}

variable "access_log_bucket_id" {
  description = "Bucket that receives the results bucket's access logs."
  type        = string
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete a non-empty results bucket."
  type        = bool
  default     = false
}
