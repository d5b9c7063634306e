# Plan-time tests with a mocked AWS provider: no credentials, no network.
mock_provider "aws" {
  # Policy documents are rendered by the provider; the mock's random string is not JSON.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }
}

# Besides the inputs under test, the wiring inputs modules/platform passes from other
# modules (required: no defaults).
variables {
  origin_verify_value = "0123456789abcdefghijklmnopqrstuvwxyzABCDEF"
  api_domain_name     = "example.execute-api.us-east-1.amazonaws.com"
  web_acl_arn         = "arn:aws:wafv2:us-east-1:000000000000:global/webacl/clickstream-prod-site/00000000-0000-0000-0000-000000000000"
}

# Issue 8, class 9: the API's execute-api endpoint is public, so CloudFront proves
# that a request came through it (and its WAF) with a secret origin header.
run "api_origin_gets_the_secret_origin_header" {
  command = plan

  assert {
    condition = anytrue([
      for o in aws_cloudfront_distribution.this.origin :
      o.origin_id == "ingest-api" && anytrue([for h in o.custom_header : h.name == "x-origin-verify" && h.value == var.origin_verify_value])
    ])
    error_message = "CloudFront must send x-origin-verify with the SSM value to the ingest API"
  }

  assert {
    condition = alltrue([
      for o in aws_cloudfront_distribution.this.origin :
      length(o.custom_header) == 0 if o.origin_id != "ingest-api"
    ])
    error_message = "the secret must not be sent to any other origin (the site bucket)"
  }

  assert {
    condition     = aws_cloudfront_distribution.this.web_acl_id == var.web_acl_arn
    error_message = "the distribution must stay behind the WAF"
  }
}

# Issue 8, class 9: standard logs hold raw client IPs and full query strings and
# cannot leave fields out, so the distribution writes none.
run "no_standard_logs_with_client_ips" {
  command = plan

  assert {
    condition     = length(aws_cloudfront_distribution.this.logging_config) == 0
    error_message = "CloudFront standard logs (client IPs, query strings) must stay off"
  }
}

run "short_origin_secret_is_refused" {
  command = plan

  variables {
    origin_verify_value = "short"
  }

  expect_failures = [var.origin_verify_value]
}
