# Plan-time tests with a mocked AWS provider: no credentials, no network.
mock_provider "aws" {
  # Policy documents are rendered by the provider; the mock's random string is not JSON.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  allowed_origins = ["https://shop.example.com", "https://www.shop.example.com"]
}

run "cors_and_lambda_share_one_origin_list" {
  command = plan

  assert {
    condition     = toset(aws_apigatewayv2_api.this.cors_configuration[0].allow_origins) == toset(var.allowed_origins)
    error_message = "API CORS allow_origins must be exactly the configured store origins"
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["ALLOWED_ORIGINS"] == "https://shop.example.com,https://www.shop.example.com"
    error_message = "the Lambda's ALLOWED_ORIGINS must be the same origins, comma-separated"
  }

  assert {
    condition     = !contains(aws_apigatewayv2_api.this.cors_configuration[0].allow_origins, "*")
    error_message = "CORS must never allow every origin"
  }
}

run "route_is_post_v1_events_without_authorizer" {
  command = plan

  assert {
    condition     = aws_apigatewayv2_route.this.route_key == "POST /v1/events"
    error_message = "the ingest route must be POST /v1/events"
  }

  assert {
    condition     = aws_apigatewayv2_route.this.authorization_type == "NONE"
    error_message = "the function authenticates callers itself; a JWT authorizer would refuse anonymous shoppers"
  }

  assert {
    condition     = aws_lambda_function.this.handler == "clickstream.ingest.handler.lambda_handler" && aws_lambda_function.this.architectures[0] == "arm64"
    error_message = "handler or architecture drifted from the package the Makefile builds"
  }
}

run "limits_and_dead_letter_queue" {
  command = plan

  variables {
    reserved_concurrency = 7
    memory_size          = 512
  }

  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 7 && aws_lambda_function.this.memory_size == 512
    error_message = "memory and reserved concurrency must follow their variables"
  }

  assert {
    condition     = aws_sqs_queue.dlq.message_retention_seconds == 14 * 24 * 3600 && aws_sqs_queue.dlq.sqs_managed_sse_enabled
    error_message = "the DLQ must keep messages 14 days, encrypted"
  }

  assert {
    condition     = aws_apigatewayv2_stage.this.default_route_settings[0].throttling_rate_limit == 200
    error_message = "stage throttling must be set"
  }
}

run "wildcard_origin_is_refused" {
  command = plan

  variables {
    allowed_origins = ["*"]
  }

  expect_failures = [var.allowed_origins]
}
