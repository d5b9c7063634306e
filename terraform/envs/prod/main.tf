# Production: the whole stack (modules/platform) at its own defaults, which are
# production's. What an operator sets per deployment comes from variables.tf.

locals {
  environment = "prod"
  default_tags = {
    Project     = var.project
    Environment = local.environment
    Owner       = var.owner
  }
}

# CloudFront reads WAF web ACLs only from us-east-1, so the one us-east-1 module is
# called here with that provider (a module with an aliased provider cannot be
# validated on its own).
module "edge_waf" {
  source = "../../modules/edge_waf"
  providers = {
    aws = aws.us_east_1
  }

  name          = "${var.project}-${local.environment}"
  managed_rules = module.platform.waf_managed_rules
  tags          = var.tags
}

# Lambda@Edge also runs from us-east-1 only. Its bundle carries the admin pool's ids
# (no environment variables at the edge): `make edge-package ENV=<env>` builds it from
# this root's edge_auth_config output; the module refuses a bundle of another pool.
module "edge_auth" {
  source = "../../modules/edge_auth"
  providers = {
    aws = aws.us_east_1
  }

  name                = "${var.project}-${local.environment}"
  package_path        = "${path.root}/../../../build/edge-auth-${local.environment}.zip"
  config_path         = "${path.root}/../../../build/edge-auth-${local.environment}.config.json"
  user_pool_id        = module.platform.edge_auth_config.userPoolId
  user_pool_client_id = module.platform.edge_auth_config.userPoolAppId
  tags                = var.tags
}

module "platform" {
  source = "../../modules/platform"

  web_acl_arn                    = module.edge_waf.wafv2_web_acl_arn
  edge_auth_lambda_qualified_arn = module.edge_auth.lambda_function_qualified_arn

  project     = var.project
  environment = local.environment
  tags        = var.tags

  site_domain               = var.site_domain
  extra_allowed_origins     = var.extra_allowed_origins
  site_certificate_arn      = var.site_certificate_arn
  dashboard_domain          = var.dashboard_domain
  dashboard_certificate_arn = var.dashboard_certificate_arn
  route53_zone_id           = var.route53_zone_id
  cognito_domain_prefix     = var.cognito_domain_prefix
  private_egress            = var.private_egress
  alarm_emails              = var.alarm_emails
  slack_team_id             = var.slack_team_id
  slack_channel_id          = var.slack_channel_id
  monthly_budget_usd        = var.monthly_budget_usd
  secrets_version           = var.secrets_version
  deployment_profile        = var.deployment_profile
  business_alerts           = var.business_alerts

  cloudfront_vpc_origin_security_group_id = var.cloudfront_vpc_origin_security_group_id
  admin_domain_prefix                     = var.admin_domain_prefix
  admin_emails                            = var.admin_emails
  admin_mfa_configuration                 = var.admin_mfa_configuration
}
