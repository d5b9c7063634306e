mock_provider "aws" {
  override_data {
    target = data.aws_region.current
    values = {
      name = "eu-west-1"
    }
  }

  override_data {
    target = data.aws_caller_identity.current
    values = {
      account_id = "123456789012"
    }
  }

  override_data {
    target = data.aws_partition.current
    values = {
      partition = "aws"
    }
  }
}

# The wiring inputs modules/platform passes from other modules (required: no defaults).
variables {
  instance_id                    = "i-0123456789abcdef0"
  instance_private_ip            = "10.40.128.10"
  edge_auth_lambda_qualified_arn = "arn:aws:lambda:us-east-1:000000000000:function:clickstream-prod-edge-auth:1"
}

run "origin_is_the_private_host_through_a_vpc_origin" {
  command = plan

  assert {
    condition     = aws_cloudfront_vpc_origin.this.vpc_origin_endpoint_config[0].arn == "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0"
    error_message = "the VPC origin must point at the warehouse instance itself, no load balancer"
  }

  assert {
    condition     = length(aws_cloudfront_distribution.this.origin) == 1 && alltrue([for o in aws_cloudfront_distribution.this.origin : length(o.vpc_origin_config) == 1 && length(o.custom_origin_config) == 0 && o.domain_name == "ip-10-40-128-10.eu-west-1.compute.internal"])
    error_message = "the only origin is the VPC origin to the host's private name"
  }

  assert {
    condition     = aws_cloudfront_distribution.this.default_cache_behavior[0].viewer_protocol_policy == "redirect-to-https"
    error_message = "viewers only over HTTPS"
  }

  assert {
    condition = anytrue([
      for f in aws_cloudfront_distribution.this.default_cache_behavior[0].lambda_function_association :
      f.event_type == "viewer-request" && f.lambda_arn == "arn:aws:lambda:us-east-1:000000000000:function:clickstream-prod-edge-auth:1"
    ])
    error_message = "every viewer request must run the edge sign-in first"
  }

  assert {
    condition     = length(aws_cloudfront_distribution.this.ordered_cache_behavior) == 0
    error_message = "no path may bypass the edge sign-in"
  }
}

run "custom_domain_with_certificate_and_dns" {
  command = plan

  variables {
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    route53_zone_id = "Z0123456789"
  }

  assert {
    condition     = aws_cloudfront_distribution.this.aliases == toset(["analytics.example.com"]) && aws_cloudfront_distribution.this.viewer_certificate[0].minimum_protocol_version == "TLSv1.2_2021"
    error_message = "the dashboard's own host name with TLS 1.2+"
  }

  assert {
    condition     = toset(keys(aws_route53_record.this)) == toset(["A", "AAAA"])
    error_message = "A and AAAA aliases"
  }
}

run "edge_function_must_be_a_us_east_1_version" {
  command = plan

  variables {
    edge_auth_lambda_qualified_arn = "arn:aws:lambda:eu-west-1:123456789012:function:x:$LATEST"
  }

  expect_failures = [var.edge_auth_lambda_qualified_arn]
}

run "certificate_must_be_in_us_east_1" {
  command = plan

  variables {
    certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
  }

  expect_failures = [var.certificate_arn]
}
