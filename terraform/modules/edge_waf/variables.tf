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

variable "waf_rate_limit" {
  description = "Requests per client IP in 5 minutes before the WAF blocks it (the SDK batches, so a real shopper sends a few per minute)."
  type        = number
  default     = 1000

  validation {
    condition     = var.waf_rate_limit >= 100 && var.waf_rate_limit <= 2000000000
    error_message = "waf_rate_limit must be between 100 and 2e9 (WAF's own bounds)."
  }
}

variable "enable_bot_control" {
  description = "Add the AWS managed Bot Control rule group (10 USD/month plus 1 USD per million requests). Bots are also flagged by the ingest's crawler list for free."
  type        = bool
  default     = false
}

variable "managed_rules" {
  description = "Add the AWS managed common and known-bad-inputs rule groups (standard profile); false keeps the per-IP rate rule only (lean profile)."
  type        = bool
  default     = true
}
