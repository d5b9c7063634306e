# Plan-time tests with a mocked AWS provider: no credentials, no network.
mock_provider "aws" {
  # Policy documents are rendered by the provider; the mock's random string is not JSON.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

# Besides the inputs under test, the wiring inputs modules/platform passes from other
# modules (required: no defaults).
variables {
  allowed_origins              = ["https://shop.example.com", "https://www.shop.example.com"]
  raw_bucket_id                = "clickstream-prod-raw-000000000000"
  delivery_stream_name         = "clickstream-prod-raw-buffer"
  delivery_stream_arn          = "arn:aws:firehose:us-east-1:000000000000:deliverystream/clickstream-prod-raw-buffer"
  cognito_user_pool_id         = "us-east-1_example"
  cognito_client_id            = "exampleclientid"
  site_keys_parameter_arn      = "arn:aws:ssm:us-east-1:000000000000:parameter/clickstream/prod/ingest/site_keys"
  site_keys_parameter_name     = "/clickstream/prod/ingest/site_keys"
  pii_hash_key_parameter_arn   = "arn:aws:ssm:us-east-1:000000000000:parameter/clickstream/prod/ingest/pii_hash_key"
  pii_hash_key_parameter_name  = "/clickstream/prod/ingest/pii_hash_key"
  origin_verify_parameter_arn  = "arn:aws:ssm:us-east-1:000000000000:parameter/clickstream/prod/edge/origin_verify"
  origin_verify_parameter_name = "/clickstream/prod/edge/origin_verify"
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

# Issue 8, class 6: parked batches (S3 failed) have their own encrypted queue, apart
# from the DLQ of rejected events, and the function may only send to the two.
run "parking_queue_is_separate_encrypted_and_send_only" {
  command = plan

  override_resource {
    target          = aws_sqs_queue.dlq
    override_during = plan
    values = {
      arn = "arn:aws:sqs:us-east-1:000000000000:clickstream-prod-ingest-dlq"
      url = "https://sqs.us-east-1.amazonaws.com/000000000000/clickstream-prod-ingest-dlq"
    }
  }

  override_resource {
    target          = aws_sqs_queue.parking
    override_during = plan
    values = {
      arn = "arn:aws:sqs:us-east-1:000000000000:clickstream-prod-ingest-parking"
      url = "https://sqs.us-east-1.amazonaws.com/000000000000/clickstream-prod-ingest-parking"
    }
  }

  assert {
    condition     = aws_sqs_queue.parking.name != aws_sqs_queue.dlq.name && aws_sqs_queue.parking.name == "clickstream-prod-ingest-parking"
    error_message = "parked batches need their own queue, apart from rejected events"
  }

  assert {
    condition     = aws_sqs_queue.parking.sqs_managed_sse_enabled && aws_sqs_queue.parking.message_retention_seconds == 14 * 24 * 3600
    error_message = "the parking queue must be encrypted and keep batches the full 14 days"
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["PARKING_QUEUE_URL"] == "https://sqs.us-east-1.amazonaws.com/000000000000/clickstream-prod-ingest-parking"
    error_message = "PARKING_QUEUE_URL must be the parking queue"
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["DLQ_URL"] == "https://sqs.us-east-1.amazonaws.com/000000000000/clickstream-prod-ingest-dlq"
    error_message = "DLQ_URL must stay the queue of rejected events"
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.this.statement :
      toset(s.actions) == toset(["sqs:SendMessage"]) && toset(s.resources) == toset([aws_sqs_queue.dlq.arn, aws_sqs_queue.parking.arn])
    ])
    error_message = "the function must be allowed exactly sqs:SendMessage on the DLQ and the parking queue"
  }

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.this.statement : alltrue([for a in s.actions : !contains(["sqs:*", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:PurgeQueue"], a)])])
    error_message = "the ingest must never read, delete or purge its queues"
  }

  assert {
    condition     = alltrue([for q in ["dlq", "parking"] : data.aws_iam_policy_document.queue_tls_only[q].statement[0].effect == "Deny"])
    error_message = "both queues must refuse plain-HTTP access"
  }
}

# Issue 8, class 9: the function learns where the expected x-origin-verify value lives,
# and may read that parameter and no other beyond its own secrets.
run "origin_verify_parameter_is_wired_and_readable" {
  command = plan

  variables {
    origin_verify_parameter_name = "/clickstream/dev/edge/origin_verify"
    origin_verify_parameter_arn  = "arn:aws:ssm:eu-west-1:123456789012:parameter/clickstream/dev/edge/origin_verify"
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["ORIGIN_VERIFY_PARAM"] == "/clickstream/dev/edge/origin_verify"
    error_message = "ORIGIN_VERIFY_PARAM must name the origin verification parameter"
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.this.statement :
      s.actions == toset(["ssm:GetParameter"]) && contains(s.resources, "arn:aws:ssm:eu-west-1:123456789012:parameter/clickstream/dev/edge/origin_verify") && length(s.resources) == 3
    ])
    error_message = "the function must read the origin verification parameter, its site keys and its hash key, nothing else"
  }
}

run "raw_events_go_to_the_delivery_stream_only" {
  command = plan

  variables {
    delivery_stream_name = "clickstream-dev-raw-buffer"
    delivery_stream_arn  = "arn:aws:firehose:eu-west-1:123456789012:deliverystream/clickstream-dev-raw-buffer"
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["DELIVERY_STREAM_NAME"] == "clickstream-dev-raw-buffer"
    error_message = "the function must write to the raw buffer's stream (DELIVERY_STREAM_NAME)"
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.this.statement : s.resources if contains(s.actions, "firehose:PutRecordBatch")][0] == toset([var.delivery_stream_arn])
    error_message = "firehose:PutRecordBatch on that stream only"
  }

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.this.statement : !anytrue([for a in s.actions : startswith(a, "s3:")])])
    error_message = "the function has no S3 permission: Firehose writes the raw bucket"
  }
}

run "per_request_logs_stay_lean" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.logging_config[0].log_format == "JSON" && aws_lambda_function.this.logging_config[0].system_log_level == "WARN"
    error_message = "the ingest function logs JSON without Lambda's per-invocation START/REPORT lines (system_log_level WARN); scripts/cost.py prices its logs that way"
  }

  assert {
    condition     = aws_cloudwatch_log_group.access.log_group_class == "INFREQUENT_ACCESS" && aws_cloudwatch_log_group.function.log_group_class == "STANDARD"
    error_message = "access logs go to the Infrequent Access class; the function's log group stays Standard, which EMF metrics need"
  }
}
