# The whole stack (modules/platform) planned against a mock provider, once per
# deployment profile. terraform/tests/plan_stack.sh runs it on a copy of
# terraform/modules in which modules/secrets is replaced by secrets_stub/ (the mock
# provider cannot run its ephemeral random passwords; it creates only free SSM
# parameters). scripts/cost.py reads the plans of exactly these runs
# (terraform test -verbose) to list the priced resources each profile creates.

mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_data "aws_availability_zones" {
    defaults = {
      names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_ec2_managed_prefix_list" {
    defaults = {
      id = "pl-3b927c52"
    }
  }
}

# What the env roots wire in from modules outside the platform (edge_waf, edge_auth).
variables {
  web_acl_arn                    = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/clickstream-prod-site/0000"
  edge_auth_lambda_qualified_arn = "arn:aws:lambda:us-east-1:123456789012:function:clickstream-prod-edge-auth:1"
}

run "lean" {
  command = plan

  variables {
    deployment_profile = "lean"
    admin_emails       = ["owner@example.com"]
  }

  assert {
    condition     = output.deployment_profile == "lean" && output.monthly_budget_usd == 35
    error_message = "lean runs with its own budget default"
  }
}

run "standard" {
  command = plan

  variables {
    deployment_profile = "standard"
  }

  assert {
    condition     = output.deployment_profile == "standard" && output.monthly_budget_usd == 60
    error_message = "standard runs with its own budget default"
  }
}

# The env roots create the web ACL with their us-east-1 provider, from the profile's
# choice; planned here so that the cost of each profile includes it.
run "lean_waf" {
  command = plan

  module {
    source = "../edge_waf"
  }

  variables {
    managed_rules = run.lean.waf_managed_rules
  }

  assert {
    condition     = length(aws_wafv2_web_acl.this.rule) == 1
    error_message = "lean: the rate-based rule only"
  }
}

run "standard_waf" {
  command = plan

  module {
    source = "../edge_waf"
  }

  variables {
    managed_rules = run.standard.waf_managed_rules
  }

  assert {
    condition     = length(aws_wafv2_web_acl.this.rule) == 3
    error_message = "standard: rate rule and the managed rule groups"
  }
}

run "profile_is_validated" {
  command = plan

  variables {
    deployment_profile = "cheap"
  }

  expect_failures = [var.deployment_profile]
}

# The issue's proofs, each against the module that owns the fact (run blocks below
# plan those modules on their own, with the same mock provider).

run "host_has_no_public_ip" {
  command = plan

  module {
    source = "../warehouse"
  }

  variables {
    subnet_id            = "subnet-0aaaaaaaaaaaaaaa1"
    private_ip           = "10.40.128.10"
    security_group_ids   = ["sg-0bbbbbbbbbbbbbbb1"]
    access_log_bucket_id = "clickstream-prod-access-logs-123456789012"
  }

  assert {
    condition     = aws_instance.this.associate_public_ip_address == false
    error_message = "the warehouse host must have no public IP address"
  }
}

run "host_admits_only_cloudfront" {
  command = plan

  module {
    source = "../network"
  }

  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.dashboard_from_cloudfront.prefix_list_id == "pl-3b927c52" &&
      aws_vpc_security_group_ingress_rule.dashboard_from_cloudfront.cidr_ipv4 == null &&
      aws_vpc_security_group_ingress_rule.dashboard_from_cloudfront.cidr_ipv6 == null &&
      aws_vpc_security_group_ingress_rule.dashboard_from_cloudfront.referenced_security_group_id == null
    )
    error_message = "Nginx on the host must admit CloudFront's origin-facing prefix list only"
  }

  assert {
    condition     = alltrue([for s in aws_subnet.public : s.map_public_ip_on_launch == false])
    error_message = "no subnet hands out public addresses"
  }
}

run "origin_is_the_host_through_a_vpc_origin" {
  command = plan

  module {
    source = "../dashboard_edge"
  }

  variables {
    instance_id         = "i-0123456789abcdef0"
    instance_private_ip = "10.40.128.10"
  }

  assert {
    condition     = can(regex(":instance/i-", aws_cloudfront_vpc_origin.this.vpc_origin_endpoint_config[0].arn))
    error_message = "the VPC origin must be the instance itself, not a load balancer"
  }

  assert {
    condition     = alltrue([for o in aws_cloudfront_distribution.this.origin : length(o.vpc_origin_config) == 1 && length(o.custom_origin_config) == 0])
    error_message = "no public origin: the VPC origin only"
  }
}

run "admin_pool_has_no_self_sign_up" {
  command = plan

  module {
    source = "../admin_auth"
  }

  assert {
    condition     = aws_cognito_user_pool.this.admin_create_user_config[0].allow_admin_create_user_only == true
    error_message = "self sign-up must be off on the admin pool"
  }

  assert {
    condition     = contains(["OPTIONAL", "ON"], aws_cognito_user_pool.this.mfa_configuration)
    error_message = "MFA must be available to admins"
  }
}
