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

variable "allowed_origins" {
  description = "Origins of the store. The one list feeds both the API's CORS allow_origins and the Lambda's ALLOWED_ORIGINS, so they cannot drift."
  type        = list(string)
  default     = ["https://shop.example.com"]

  validation {
    condition     = length(var.allowed_origins) > 0 && alltrue([for o in var.allowed_origins : can(regex("^https://[a-z0-9.-]+(:[0-9]+)?$", o))])
    error_message = "allowed_origins must be https origins (scheme://host[:port], no path, no trailing slash, no wildcard)."
  }
}

variable "package_path" {
  description = "Path of the ingest zip built by `make package` (scripts/package-lambdas.sh)."
  type        = string
  default     = "../../../build/ingest.zip"

  validation {
    condition     = endswith(var.package_path, ".zip")
    error_message = "package_path must point at a .zip file."
  }
}

variable "raw_bucket_id" {
  description = "Name of the raw bucket (RAW_BUCKET)."
  type        = string
}

variable "delivery_stream_name" {
  description = "Firehose stream of the raw buffer the function writes every accepted batch to (DELIVERY_STREAM_NAME; raw_buffer.delivery_stream_name)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9._-]{1,64}$", var.delivery_stream_name))
    error_message = "delivery_stream_name must be a Firehose stream name (1-64 letters, digits, . _ -)."
  }
}

variable "delivery_stream_arn" {
  description = "ARN of that stream: the only resource of the function's firehose:PutRecordBatch (raw_buffer.delivery_stream_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:firehose:[a-z0-9-]+:[0-9]{12}:deliverystream/", var.delivery_stream_arn))
    error_message = "delivery_stream_arn must be a Firehose delivery stream ARN."
  }
}

variable "cognito_user_pool_id" {
  description = "User pool whose ID tokens identify signed-in shoppers (COGNITO_USER_POOL_ID)."
  type        = string
}

variable "cognito_client_id" {
  description = "App client the ID tokens must be issued to (COGNITO_CLIENT_ID)."
  type        = string
}

variable "site_keys_parameter_arn" {
  description = "ARN of the SecureString holding the comma-separated site keys."
  type        = string
}

variable "site_keys_parameter_name" {
  description = "Name of the site keys parameter (SITE_KEYS_PARAM)."
  type        = string
}

variable "pii_hash_key_parameter_arn" {
  description = "ARN of the SecureString holding the PII hashing key."
  type        = string
}

variable "pii_hash_key_parameter_name" {
  description = "Name of the PII hashing key parameter (PII_HASH_KEY_PARAM)."
  type        = string
}

variable "origin_verify_parameter_arn" {
  description = "ARN of the SecureString holding the x-origin-verify value CloudFront adds to every request it forwards."
  type        = string
}

variable "origin_verify_parameter_name" {
  description = "Name of the origin verification parameter (ORIGIN_VERIFY_PARAM): requests without the matching x-origin-verify header did not come through CloudFront and the WAF, and get 403."
  type        = string

  validation {
    condition     = startswith(var.origin_verify_parameter_name, "/")
    error_message = "origin_verify_parameter_name must be an SSM parameter name starting with /."
  }
}

variable "memory_size" {
  description = "Lambda memory in MB (CPU scales with it); 256 is enough for schema validation of 100-event batches."
  type        = number
  default     = 256

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be between 128 and 10240 MB."
  }
}

variable "timeout_seconds" {
  description = "Lambda timeout; the HTTP API gives up after 30 s regardless."
  type        = number
  default     = 10

  validation {
    condition     = var.timeout_seconds >= 1 && var.timeout_seconds <= 29
    error_message = "timeout_seconds must be between 1 and 29 (the HTTP API integration limit is 30 s)."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrency: a ceiling on cost and on the raw bucket's PUT rate during a traffic spike or abuse; requests above it get 429 and the SDK retries."
  type        = number
  default     = 20

  validation {
    condition     = var.reserved_concurrency >= 1
    error_message = "reserved_concurrency must be at least 1."
  }
}

variable "max_batch_events" {
  description = "Most events accepted in one request (MAX_BATCH_EVENTS)."
  type        = number
  default     = 100

  validation {
    condition     = var.max_batch_events >= 1 && var.max_batch_events <= 1000
    error_message = "max_batch_events must be between 1 and 1000."
  }
}

variable "max_body_bytes" {
  description = "Largest request body accepted, in bytes (MAX_BODY_BYTES); the HTTP API's own cap is 10 MB."
  type        = number
  default     = 262144

  validation {
    condition     = var.max_body_bytes >= 1024 && var.max_body_bytes <= 10485760
    error_message = "max_body_bytes must be between 1 KiB and 10 MiB."
  }
}

variable "throttling_rate_limit" {
  description = "Stage-wide steady-state requests per second."
  type        = number
  default     = 200

  validation {
    condition     = var.throttling_rate_limit > 0
    error_message = "throttling_rate_limit must be positive."
  }
}

variable "throttling_burst_limit" {
  description = "Stage-wide burst of requests."
  type        = number
  default     = 400

  validation {
    condition     = var.throttling_burst_limit > 0
    error_message = "throttling_burst_limit must be positive."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's and the API's access logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of the function."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}
