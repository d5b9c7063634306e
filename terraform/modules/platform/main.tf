# The whole stack: wires the capability modules together. Every value two modules must
# agree on (the store origin, the raw bucket, parameter names, the schedule) flows from
# one place. envs/<env>/ roots call this once with their own defaults and providers.

locals {
  name = "${var.project}-${var.environment}"
  # The one list of store origins: API CORS, the ingest's ALLOWED_ORIGINS and the
  # Cognito site client's callbacks all read it.
  site_origins     = concat(["https://${var.site_domain}"], var.extra_allowed_origins)
  parameter_prefix = "/${var.project}/${var.environment}"
  package_dir      = "${path.module}/../../../build"
  # Fixed address inside the first private subnet, so the ETL's DSN survives an
  # instance replacement.
  warehouse_ip = cidrhost(module.network.private_subnet_cidr_blocks[0], 10)

  # deployment_profile: what a small store can afford (lean) or the full baseline
  # (standard). Both keep the private warehouse subnet, the S3 gateway endpoint, no
  # SSH, encryption at rest and backups; scripts/cost.py prices each one from the plan.
  profiles = {
    lean = {
      private_egress           = "nat_instance"
      stack_key                = true # one KMS key for the whole stack
      alarm_set                = "essential"
      waf_managed_rules        = false # the per-IP rate rule only
      warehouse_instance_type  = "t4g.micro"
      warehouse_root_gb        = 10
      warehouse_data_volume_gb = 10 # over a year of a small store (~0.5 GB per million events); gp3 grows online
      monthly_budget_usd       = 35
    }
    standard = {
      private_egress           = "nat_instance" # self-healing; nat_gateway on request
      stack_key                = false          # a key per data class
      alarm_set                = "full"
      waf_managed_rules        = true
      warehouse_instance_type  = "t4g.small"
      warehouse_root_gb        = 20
      warehouse_data_volume_gb = 50
      monthly_budget_usd       = 60
    }
  }
  profile = local.profiles[var.deployment_profile]

  private_egress           = coalesce(var.private_egress, local.profile.private_egress)
  warehouse_instance_type  = coalesce(var.warehouse_instance_type, local.profile.warehouse_instance_type)
  warehouse_data_volume_gb = coalesce(var.warehouse_data_volume_gb, local.profile.warehouse_data_volume_gb)
  monthly_budget_usd       = coalesce(var.monthly_budget_usd, local.profile.monthly_budget_usd)
  stack_kms_key_arn        = local.profile.stack_key ? module.raw_store.kms_key_arn : null
}

module "network" {
  source = "../network"

  name                        = local.name
  cidr_block                  = var.vpc_cidr
  private_egress              = local.private_egress
  interface_endpoint_az_count = var.interface_endpoint_az_count

  cloudfront_vpc_origin_security_group_id = var.cloudfront_vpc_origin_security_group_id
  flow_log_retention_days                 = var.log_retention_days
  tags                                    = var.tags
}

module "raw_store" {
  source = "../raw_store"

  name                    = local.name
  transition_ia_days      = var.raw_transition_ia_days
  transition_glacier_days = var.raw_transition_glacier_days
  expiration_days         = var.raw_expiration_days
  stack_key               = local.profile.stack_key
  force_destroy           = var.force_destroy
  tags                    = var.tags
}

# Firehose between the ingest and the raw bucket: micro-batches instead of one object
# per request (issue 14).
module "raw_buffer" {
  source = "../raw_buffer"

  name                       = local.name
  raw_bucket_arn             = module.raw_store.bucket_arn
  raw_kms_key_arn            = module.raw_store.kms_key_arn
  buffering_size_mb          = var.raw_buffer_size_mb
  buffering_interval_seconds = var.raw_buffer_interval_seconds
  log_retention_days         = var.log_retention_days
  tags                       = var.tags
}

module "secrets" {
  source = "../secrets"

  parameter_prefix = local.parameter_prefix
  database_host    = local.warehouse_ip
  database_port    = module.network.postgres_port
  secrets_version  = var.secrets_version
  tags             = var.tags
}

module "auth" {
  source = "../auth"

  name                   = local.name
  domain_prefix          = var.cognito_domain_prefix
  site_urls              = local.site_origins
  advanced_security_mode = var.cognito_advanced_security_mode
  deletion_protection    = !var.force_destroy
  tags                   = var.tags
}

module "ingest" {
  source = "../ingest"

  name                         = local.name
  allowed_origins              = local.site_origins
  package_path                 = "${local.package_dir}/ingest.zip"
  raw_bucket_id                = module.raw_store.bucket_id
  delivery_stream_name         = module.raw_buffer.delivery_stream_name
  delivery_stream_arn          = module.raw_buffer.delivery_stream_arn
  cognito_user_pool_id         = module.auth.user_pool_id
  cognito_client_id            = module.auth.user_pool_client_site_id
  site_keys_parameter_name     = module.secrets.site_keys_parameter_name
  site_keys_parameter_arn      = module.secrets.site_keys_parameter_arn
  pii_hash_key_parameter_name  = module.secrets.pii_hash_key_parameter_name
  pii_hash_key_parameter_arn   = module.secrets.pii_hash_key_parameter_arn
  origin_verify_parameter_name = module.secrets.origin_verify_parameter_name
  origin_verify_parameter_arn  = module.secrets.origin_verify_parameter_arn
  memory_size                  = var.ingest_memory_size
  reserved_concurrency         = var.ingest_reserved_concurrency
  throttling_rate_limit        = var.api_throttling_rate_limit
  throttling_burst_limit       = var.api_throttling_burst_limit
  log_retention_days           = var.log_retention_days
  tags                         = var.tags
}

module "site" {
  source = "../site"

  name                = local.name
  domain_names        = var.site_certificate_arn == "" ? [] : [var.site_domain]
  certificate_arn     = var.site_certificate_arn
  api_domain_name     = module.ingest.api_domain_name
  web_acl_arn         = var.web_acl_arn
  price_class         = var.cloudfront_price_class
  origin_verify_value = module.secrets.origin_verify_value
  force_destroy       = var.force_destroy
  tags                = var.tags
}

module "monitoring" {
  source = "../monitoring"

  name                        = local.name
  alarm_emails                = var.alarm_emails
  slack_team_id               = var.slack_team_id
  slack_channel_id            = var.slack_channel_id
  api_id                      = module.ingest.api_id
  api_stage                   = module.ingest.stage_name
  ingest_function_name        = module.ingest.lambda_function_name
  ingest_dlq_name             = module.ingest.sqs_queue_dlq_name
  ingest_parking_queue_name   = module.ingest.sqs_queue_parking_name
  delivery_stream_name        = module.raw_buffer.delivery_stream_name
  etl_function_name           = module.etl.lambda_function_etl_name
  etl_timeout_seconds         = module.etl.timeout_seconds
  compact_function_name       = module.etl.lambda_function_compact_name
  schedule_group_name         = module.etl.scheduler_schedule_group_name
  schedule_dlq_name           = module.etl.sqs_queue_schedule_dlq_name
  warehouse_instance_id       = module.warehouse.instance_id
  alarm_set                   = local.profile.alarm_set
  create_kms_key              = !local.profile.stack_key
  kms_key_arn                 = local.stack_kms_key_arn
  freshness_threshold_minutes = var.freshness_threshold_minutes
  monthly_budget_usd          = local.monthly_budget_usd
  tags                        = var.tags
}

module "etl" {
  source = "../etl"

  name                        = local.name
  package_path                = "${local.package_dir}/etl.zip"
  schedule_expression         = var.etl_schedule_expression
  compaction_enabled          = var.compaction_enabled
  raw_bucket_id               = module.raw_store.bucket_id
  read_raw_policy_arn         = module.raw_store.policy_read_raw_arn
  compact_raw_policy_arn      = module.raw_store.policy_compact_raw_arn
  database_url_parameter_name = module.secrets.database_url_parameter_name
  database_url_parameter_arn  = module.secrets.database_url_parameter_arn
  sns_topic_arn               = module.monitoring.sns_topic_arn
  alerts_kms_key_arn          = module.monitoring.kms_key_arn
  dlq_url                     = module.ingest.sqs_queue_dlq_url
  parking_queue_url           = module.ingest.sqs_queue_parking_url
  ingest_function_name        = module.ingest.lambda_function_name
  business_alerts             = var.business_alerts
  subnet_ids                  = module.network.private_subnet_ids
  security_group_ids          = [module.network.security_group_etl_id]
  memory_size                 = var.etl_memory_size
  log_retention_days          = var.log_retention_days
  tags                        = var.tags
}

module "warehouse" {
  source = "../warehouse"

  name                  = local.name
  os                    = var.warehouse_os
  instance_type         = local.warehouse_instance_type
  subnet_id             = module.network.private_subnet_ids[0]
  private_ip            = local.warehouse_ip
  security_group_ids    = [module.network.security_group_warehouse_id, module.network.security_group_dashboard_id]
  create_kms_key        = !local.profile.stack_key
  kms_key_arn           = local.stack_kms_key_arn
  root_volume_size_gb   = local.profile.warehouse_root_gb
  data_volume_size_gb   = local.warehouse_data_volume_gb
  snapshot_retain_count = var.snapshot_retain_count
  access_log_bucket_id  = module.raw_store.access_log_bucket_id
  log_retention_days    = var.log_retention_days
  dashboard_port        = module.network.dashboard_port
  force_destroy         = var.force_destroy
  tags                  = var.tags
}

# The admins' own pool: no self sign-up, MFA available, its hosted sign-in domain and
# the app client the Lambda@Edge function signs in with.
module "admin_auth" {
  source = "../admin_auth"

  name                = local.name
  domain_prefix       = var.admin_domain_prefix
  dashboard_domain    = var.dashboard_domain
  admin_emails        = var.admin_emails
  mfa_configuration   = var.admin_mfa_configuration
  deletion_protection = !var.force_destroy
  tags                = var.tags
}

# The dashboard without a load balancer: CloudFront, a VPC origin to Nginx on the
# warehouse host, the edge sign-in (modules/edge_auth, created by the env root in
# us-east-1) on every viewer request, and the store's web ACL.
module "dashboard_edge" {
  source = "../dashboard_edge"

  name                           = local.name
  domain_name                    = var.dashboard_domain
  certificate_arn                = var.dashboard_certificate_arn
  route53_zone_id                = var.route53_zone_id
  instance_id                    = module.warehouse.instance_id
  instance_private_ip            = local.warehouse_ip
  origin_port                    = module.network.dashboard_port
  edge_auth_lambda_qualified_arn = var.edge_auth_lambda_qualified_arn
  web_acl_arn                    = var.web_acl_arn
  price_class                    = var.cloudfront_price_class
  tags                           = var.tags
}

module "lake" {
  source = "../lake"

  name                 = local.name
  raw_bucket_id        = module.raw_store.bucket_id
  raw_bucket_arn       = module.raw_store.bucket_arn
  raw_kms_key_arn      = module.raw_store.kms_key_arn
  access_log_bucket_id = module.raw_store.access_log_bucket_id
  force_destroy        = var.force_destroy
  tags                 = var.tags
}
