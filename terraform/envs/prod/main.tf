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

  name = "${var.project}-${local.environment}"
  tags = var.tags
}

module "platform" {
  source = "../../modules/platform"

  web_acl_arn = module.edge_waf.wafv2_web_acl_arn

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
