output "events_url" {
  description = "First-party URL the SDK posts events to (through CloudFront)."
  value       = module.platform.events_url
}

output "cloudfront_distribution_domain_name" {
  description = "CloudFront name to point the store's DNS at."
  value       = module.platform.cloudfront_distribution_domain_name
}

output "cloudfront_distribution_id" {
  description = "Distribution ID (invalidate after uploading a new store build)."
  value       = module.platform.cloudfront_distribution_id
}

output "site_bucket_id" {
  description = "Bucket to upload the store's static files to."
  value       = module.platform.site_bucket_id
}

output "api_endpoint" {
  description = "Direct endpoint of the ingest HTTP API (CloudFront's /v1/* origin)."
  value       = module.platform.api_endpoint
}

output "raw_bucket_id" {
  description = "Raw clickstream bucket."
  value       = module.platform.raw_bucket_id
}

output "ingest_dlq_url" {
  description = "Ingest dead-letter queue of rejected events (DLQ_URL, for `clickstream dlq inspect`)."
  value       = module.platform.ingest_dlq_url
}

output "ingest_parking_queue_url" {
  description = "Queue of batches parked because S3 failed (PARKING_QUEUE_URL, for `clickstream dlq replay`)."
  value       = module.platform.ingest_parking_queue_url
}

output "raw_buffer_delivery_stream_name" {
  description = "Firehose stream of the raw buffer (DELIVERY_STREAM_NAME, for `clickstream dlq replay`)."
  value       = module.platform.raw_buffer_delivery_stream_name
}

output "origin_verify_parameter_name" {
  description = "SSM parameter holding the x-origin-verify value CloudFront sends to the ingest API."
  value       = module.platform.origin_verify_parameter_name
}

output "cognito_user_pool_id" {
  description = "User pool of the store's shoppers."
  value       = module.platform.cognito_user_pool_id
}

output "cognito_site_client_id" {
  description = "App client id the store's JavaScript signs shoppers in with."
  value       = module.platform.cognito_site_client_id
}

output "admin_user_pool_id" {
  description = "Admin-only user pool of the dashboard (aws cognito-idp admin-create-user --user-pool-id <it>)."
  value       = module.platform.admin_user_pool_id
}

output "edge_auth_config" {
  description = "Configuration `make edge-package` bakes into the Lambda@Edge bundle."
  value       = module.platform.edge_auth_config
}

output "dashboard_url" {
  description = "URL of the admin-only dashboard."
  value       = module.platform.dashboard_url
}

output "dashboard_distribution_domain_name" {
  description = "CloudFront name to point the dashboard's DNS at (when Route 53 is not managed here)."
  value       = module.platform.dashboard_distribution_domain_name
}

output "deployment_profile" {
  description = "The profile this stack runs (lean or standard)."
  value       = module.platform.deployment_profile
}

output "monthly_budget_usd" {
  description = "Monthly budget in force (the profile's default unless set)."
  value       = module.platform.monthly_budget_usd
}

output "warehouse_instance_id" {
  description = "Warehouse instance (aws ssm start-session --target <id>; the Ansible inventory)."
  value       = module.platform.warehouse_instance_id
}

output "warehouse_private_ip" {
  description = "Private address of PostgreSQL."
  value       = module.platform.warehouse_private_ip
}

output "backup_bucket_id" {
  description = "Bucket for pg_dump backups."
  value       = module.platform.backup_bucket_id
}

output "ssm_parameter_prefix" {
  description = "SSM path of every generated secret."
  value       = module.platform.ssm_parameter_prefix
}

output "site_keys_parameter_name" {
  description = "SSM parameter holding the site key(s) the SDK sends as x-api-key."
  value       = module.platform.site_keys_parameter_name
}

output "db_password_parameter_names" {
  description = "SSM parameters of the PostgreSQL role passwords (read by the warehouse playbook)."
  value       = module.platform.db_password_parameter_names
}

output "alerts_topic_arn" {
  description = "SNS topic of alarms, budget alerts and ETL failure messages."
  value       = module.platform.alerts_topic_arn
}

output "athena_workgroup_name" {
  description = "Athena workgroup for lake queries."
  value       = module.platform.athena_workgroup_name
}

output "glue_database_name" {
  description = "Glue database of the lake."
  value       = module.platform.glue_database_name
}

# --- Read by the warehouse playbook (make warehouse ENV=...) -------------------------

output "warehouse_data_volume_id" {
  description = "EBS volume of the PostgreSQL data directory."
  value       = module.platform.warehouse_data_volume_id
}

output "warehouse_ssm_transfer_bucket_id" {
  description = "Bucket of the Ansible SSM connection's file transfers."
  value       = module.platform.warehouse_ssm_transfer_bucket_id
}

output "warehouse_kms_key_arn" {
  description = "Key of the warehouse volumes, backups and SSM transfers."
  value       = module.platform.warehouse_kms_key_arn
}

output "warehouse_log_group_prefix" {
  description = "Prefix of the warehouse host's CloudWatch log groups."
  value       = module.platform.warehouse_log_group_prefix
}

output "backup_retention_days" {
  description = "Days pgBackRest keeps full backups."
  value       = module.platform.backup_retention_days
}

output "dashboard_target_port" {
  description = "Port Nginx listens on for the dashboard's front door."
  value       = module.platform.dashboard_target_port
}

output "etl_subnet_cidr_blocks" {
  description = "Subnets the ETL Lambdas connect from (pg_hba hostssl rules)."
  value       = module.platform.etl_subnet_cidr_blocks
}

output "aws_region" {
  description = "Region of the deployment."
  value       = module.platform.aws_region
}
