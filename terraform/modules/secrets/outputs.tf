output "parameter_prefix" {
  description = "SSM path all parameters of this deployment live under."
  value       = var.parameter_prefix
}

output "database_url_parameter_name" {
  description = "SSM name of the ETL's DSN (DATABASE_URL_PARAM)."
  value       = aws_ssm_parameter.database_url.name
}

output "database_url_parameter_arn" {
  description = "ARN of the ETL's DSN parameter."
  value       = aws_ssm_parameter.database_url.arn
}

output "pii_hash_key_parameter_name" {
  description = "SSM name of the PII hashing key (PII_HASH_KEY_PARAM)."
  value       = aws_ssm_parameter.pii_hash_key.name
}

output "pii_hash_key_parameter_arn" {
  description = "ARN of the PII hashing key parameter."
  value       = aws_ssm_parameter.pii_hash_key.arn
}

output "site_keys_parameter_name" {
  description = "SSM name of the site keys (SITE_KEYS_PARAM)."
  value       = aws_ssm_parameter.site_keys.name
}

output "site_keys_parameter_arn" {
  description = "ARN of the site keys parameter."
  value       = aws_ssm_parameter.site_keys.arn
}

output "db_password_parameter_names" {
  description = "SSM names of the PostgreSQL role passwords, keyed owner/etl/reader (read by the warehouse playbook)."
  value       = { for k, p in aws_ssm_parameter.db_password : k => p.name }
}

output "db_password_parameter_arns" {
  description = "ARNs of the PostgreSQL role password parameters, keyed owner/etl/reader."
  value       = { for k, p in aws_ssm_parameter.db_password : k => p.arn }
}

output "origin_verify_parameter_name" {
  description = "SSM name of the x-origin-verify value (the ingest's ORIGIN_VERIFY_PARAM)."
  value       = aws_ssm_parameter.origin_verify.name
}

output "origin_verify_parameter_arn" {
  description = "ARN of the x-origin-verify parameter."
  value       = aws_ssm_parameter.origin_verify.arn
}

output "origin_verify_value" {
  description = "The x-origin-verify value, for CloudFront's origin custom header (site.origin_verify_value)."
  value       = aws_ssm_parameter.origin_verify.value
  sensitive   = true
}
