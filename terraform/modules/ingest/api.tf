# HTTP API, no authorizer on purpose: HTTP APIs have no API keys or usage plans, and a
# JWT authorizer would refuse anonymous shoppers, who are most of the traffic. The
# function authenticates both kinds of caller itself (a Cognito ID token verified
# against the pool's JWKS, or a site key from SSM), exactly as the local stack does.
resource "aws_apigatewayv2_api" "this" {
  name          = "${var.name}-ingest"
  description   = "Clickstream ingest API (POST /v1/events)."
  protocol_type = "HTTP"

  cors_configuration {
    allow_origins = var.allowed_origins
    allow_methods = ["POST", "OPTIONS"]
    allow_headers = local.cors_allow_headers
    max_age       = 600
  }

  tags = var.tags
}

resource "aws_apigatewayv2_integration" "this" {
  api_id                 = aws_apigatewayv2_api.this.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.this.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = (var.timeout_seconds + 1) * 1000
}

resource "aws_apigatewayv2_route" "this" {
  #checkov:skip=CKV_AWS_309:Deliberately no authorizer: the function verifies Cognito ID tokens or site keys itself, because anonymous shoppers have no JWT (see README).
  api_id             = aws_apigatewayv2_api.this.id
  route_key          = local.route_key
  target             = "integrations/${aws_apigatewayv2_integration.this.id}"
  authorization_type = "NONE"
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_rate_limit    = var.throttling_rate_limit
    throttling_burst_limit   = var.throttling_burst_limit
    detailed_metrics_enabled = false # per-route metrics cost extra; there is one route
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId        = "$context.requestId"
      requestTime      = "$context.requestTime"
      routeKey         = "$context.routeKey"
      status           = "$context.status"
      responseLength   = "$context.responseLength"
      latencyMs        = "$context.responseLatency"
      integrationError = "$context.integrationErrorMessage"
      userAgent        = "$context.identity.userAgent"
    })
  }

  tags = var.tags
}

# Access logs deliberately leave out $context.identity.sourceIp: raw IP addresses are
# never stored anywhere in this platform.
resource "aws_cloudwatch_log_group" "access" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs already encrypts at rest; access logs hold no IP addresses or identifiers.
  #checkov:skip=CKV_AWS_338:Access logs are for debugging recent traffic; retention is a variable.
  name              = "/aws/apigateway/${var.name}-ingest"
  retention_in_days = var.log_retention_days
  # Read with Logs Insights when debugging, never filtered into metrics or streamed, so
  # the Infrequent Access class (half the ingestion price) loses nothing used here.
  log_group_class = "INFREQUENT_ACCESS"
  tags            = var.tags
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowHttpApiInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/POST/v1/events"
}
