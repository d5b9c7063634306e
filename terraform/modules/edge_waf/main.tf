# A CLOUDFRONT-scope web ACL must be created in us-east-1 whatever the stack's region:
# the env root passes this module an aws provider configured for us-east-1.
resource "aws_wafv2_web_acl" "this" {
  #checkov:skip=CKV_AWS_192:The Log4j rules (AWSManagedRulesKnownBadInputsRuleSet) are on in the standard profile; the lean profile keeps the rate rule only and runs no Java.
  #checkov:skip=CKV2_AWS_31:WAF logs record every client IP address, which this platform never stores; sampled requests and CloudWatch metrics remain available.
  name        = "${var.name}-site"
  description = var.managed_rules ? "Store, /v1/events and dashboard: rate limit, AWS managed core and known-bad-inputs rules." : "Store, /v1/events and dashboard: per-IP rate limit."
  scope       = "CLOUDFRONT"

  default_action {
    allow {}
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = 0

    action {
      block {}
    }

    statement {
      rate_based_statement {
        limit                 = var.waf_rate_limit
        aggregate_key_type    = "IP"
        evaluation_window_sec = 300
      }
    }

    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  # Standard profile: the AWS managed rule groups (1 USD/month each). The lean profile
  # keeps the rate rule only; the ingest validates every event against its schema
  # anyway, and the dashboard is behind the edge sign-in.
  dynamic "rule" {
    for_each = var.managed_rules ? {
      "aws-common"           = { priority = 1, group = "AWSManagedRulesCommonRuleSet" }
      "aws-known-bad-inputs" = { priority = 2, group = "AWSManagedRulesKnownBadInputsRuleSet" }
    } : {}
    content {
      name     = rule.key
      priority = rule.value.priority

      override_action {
        none {}
      }

      statement {
        managed_rule_group_statement {
          name        = rule.value.group
          vendor_name = "AWS"

          # Event batches are legitimately larger than the common rule set's 8 KB body
          # limit; the ingest enforces its own MAX_BODY_BYTES, so count instead of block.
          dynamic "rule_action_override" {
            for_each = rule.value.group == "AWSManagedRulesCommonRuleSet" ? ["SizeRestrictions_BODY"] : []
            content {
              name = rule_action_override.value
              action_to_use {
                count {}
              }
            }
          }
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${var.name}-${rule.key}"
        sampled_requests_enabled   = true
      }
    }
  }

  dynamic "rule" {
    for_each = var.enable_bot_control ? [1] : []
    content {
      name     = "aws-bot-control"
      priority = 3

      override_action {
        none {}
      }

      statement {
        managed_rule_group_statement {
          name        = "AWSManagedRulesBotControlRuleSet"
          vendor_name = "AWS"

          managed_rule_group_configs {
            aws_managed_rules_bot_control_rule_set {
              inspection_level = "COMMON"
            }
          }
        }
      }

      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${var.name}-aws-bot-control"
        sampled_requests_enabled   = true
      }
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name}-site"
    sampled_requests_enabled   = true
  }

  tags = var.tags
}
