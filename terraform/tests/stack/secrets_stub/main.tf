# Stand-in for modules/secrets in the stack test (terraform/tests/plan_stack.sh): the
# same inputs and outputs, no ephemeral resources, no resources at all.
terraform {
  required_version = ">= 1.11.0"
}

variable "parameter_prefix" {
  description = "As modules/secrets."
  type        = string
}

variable "tags" {
  description = "As modules/secrets."
  type        = map(string)
  default     = {}
}

variable "database_host" {
  description = "As modules/secrets."
  type        = string
}

variable "database_port" {
  description = "As modules/secrets."
  type        = number
}

variable "database_name" {
  description = "As modules/secrets."
  type        = string
  default     = "clickstream"
}

variable "database_sslmode" {
  description = "As modules/secrets."
  type        = string
  default     = "require"
}

variable "secrets_version" {
  description = "As modules/secrets."
  type        = number
  default     = 1
}

locals {
  arn = "arn:aws:ssm:eu-west-1:123456789012:parameter${var.parameter_prefix}"
}

output "parameter_prefix" {
  description = "As modules/secrets."
  value       = var.parameter_prefix
}

output "database_url_parameter_name" {
  description = "As modules/secrets."
  value       = "${var.parameter_prefix}/etl/database-url"
}

output "database_url_parameter_arn" {
  description = "As modules/secrets."
  value       = "${local.arn}/etl/database-url"
}

output "pii_hash_key_parameter_name" {
  description = "As modules/secrets."
  value       = "${var.parameter_prefix}/ingest/pii-hash-key"
}

output "pii_hash_key_parameter_arn" {
  description = "As modules/secrets."
  value       = "${local.arn}/ingest/pii-hash-key"
}

output "site_keys_parameter_name" {
  description = "As modules/secrets."
  value       = "${var.parameter_prefix}/ingest/site-keys"
}

output "site_keys_parameter_arn" {
  description = "As modules/secrets."
  value       = "${local.arn}/ingest/site-keys"
}

output "db_password_parameter_names" {
  description = "As modules/secrets."
  value       = { etl = "${var.parameter_prefix}/db/etl" }
}

output "db_password_parameter_arns" {
  description = "As modules/secrets."
  value       = { etl = "${local.arn}/db/etl" }
}

output "origin_verify_parameter_name" {
  description = "As modules/secrets."
  value       = "${var.parameter_prefix}/ingest/origin-verify"
}

output "origin_verify_parameter_arn" {
  description = "As modules/secrets."
  value       = "${local.arn}/ingest/origin-verify"
}

output "origin_verify_value" {
  description = "As modules/secrets."
  value       = "stacktestoriginverifyvalue0123456789abcdef"
  sensitive   = true
}
