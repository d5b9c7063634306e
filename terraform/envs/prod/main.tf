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

module "platform" {
  source = "../../modules/platform"
  providers = {
    aws           = aws
    aws.us_east_1 = aws.us_east_1
  }

  project     = var.project
  environment = local.environment
  tags        = var.tags

  site_domain               = var.site_domain
  extra_allowed_origins     = var.extra_allowed_origins
  site_certificate_arn      = var.site_certificate_arn
  dashboard_domain          = var.dashboard_domain
  dashboard_certificate_arn = var.dashboard_certificate_arn
  route53_zone_id           = var.route53_zone_id
  dashboard_allowed_cidrs   = var.dashboard_allowed_cidrs
  cognito_domain_prefix     = var.cognito_domain_prefix
  private_egress            = var.private_egress
  alarm_emails              = var.alarm_emails
  monthly_budget_usd        = var.monthly_budget_usd
  secrets_version           = var.secrets_version
}
