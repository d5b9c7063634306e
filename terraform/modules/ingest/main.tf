data "aws_region" "current" {}

locals {
  function_name = "${var.name}-ingest"
  # clickstream.contract.layout.INGEST_ROUTE_KEY; tests/unit/test_infra_agreement.py checks it.
  route_key = "POST /v1/events"
  # Same headers the local API adapter allows (clickstream.local.api_gateway.CORS_ALLOW_HEADERS).
  cors_allow_headers = ["content-type", "authorization", "x-api-key"]
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The ingest only talks to public AWS APIs (S3, SQS, SSM, Cognito JWKS); a VPC would add NAT or endpoint cost to the hottest path for no isolation gain.
  #checkov:skip=CKV_AWS_173:The environment holds names and limits only; secrets are SSM SecureString parameters read at cold start.
  #checkov:skip=CKV_AWS_272:Code signing needs a Signer profile and a signed artifact pipeline; the zip is built reproducibly from pinned dependencies and referenced by hash.
  function_name                  = local.function_name
  description                    = "Validates, enriches and stores clickstream batches (POST /v1/events)."
  role                           = aws_iam_role.this.arn
  runtime                        = "python3.12"
  architectures                  = ["arm64"]
  handler                        = "clickstream.ingest.handler.lambda_handler"
  filename                       = var.package_path
  source_code_hash               = fileexists(var.package_path) ? filebase64sha256(var.package_path) : null
  memory_size                    = var.memory_size
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = {
      RAW_BUCKET           = var.raw_bucket_id
      DLQ_URL              = aws_sqs_queue.dlq.url
      PARKING_QUEUE_URL    = aws_sqs_queue.parking.url
      ALLOWED_ORIGINS      = join(",", var.allowed_origins)
      COGNITO_USER_POOL_ID = var.cognito_user_pool_id
      COGNITO_CLIENT_ID    = var.cognito_client_id
      SITE_KEYS_PARAM      = var.site_keys_parameter_name
      PII_HASH_KEY_PARAM   = var.pii_hash_key_parameter_name
      ORIGIN_VERIFY_PARAM  = var.origin_verify_parameter_name
      MAX_BATCH_EVENTS     = tostring(var.max_batch_events)
      MAX_BODY_BYTES       = tostring(var.max_body_bytes)
      DELIVERY_STREAM_NAME = var.delivery_stream_name
      LOG_LEVEL            = var.log_level
    }
  }

  # Only asynchronous invocations use this; API Gateway invokes synchronously and the
  # handler itself sends refused events to the same queue with their reason.
  dead_letter_config {
    target_arn = aws_sqs_queue.dlq.arn
  }

  tracing_config {
    mode = "PassThrough"
  }

  # The function's own "request done" line (request id, status, counts, ms) and its
  # EMF metrics are kept; WARN drops Lambda's platform.start and platform.report lines,
  # about 400 bytes of every invocation that repeat what AWS/Lambda metrics already hold
  # (duration, memory, errors), a third of the per-request log bill (docs/deploy.md).
  logging_config {
    log_format       = "JSON"
    log_group        = aws_cloudwatch_log_group.function.name
    system_log_level = "WARN"
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.this]
}

resource "aws_cloudwatch_log_group" "function" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs already encrypts at rest; logs carry hashed identifiers only, so a CMK adds cost without a threat it mitigates.
  #checkov:skip=CKV_AWS_338:Operational logs are useful for weeks; the raw bucket is the long-term record. Retention is a variable.
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days
  # EMF metrics are extracted from Standard log groups only.
  log_group_class = "STANDARD"
  tags            = var.tags
}

# Two queues, so that a flood of client rejects can never hide or crowd out the
# batches that must be replayed:
# - the DLQ keeps events the ingest refused after authentication (schema or size
#   violations, enrichment failures) with their reason, for inspection; bodies refused
#   before authentication are counted and logged, never queued;
# - the parking queue keeps whole batches the ingest accepted but could not store
#   because S3 failed; `clickstream dlq replay` writes them to the raw bucket.
# 14 days is SQS's maximum retention. SQS-managed SSE: the messages hold hashed
# identifiers only, and every sender and reader is limited by IAM to these ARNs.
resource "aws_sqs_queue" "dlq" {
  name                      = "${var.name}-ingest-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_sqs_queue" "parking" {
  name                      = "${var.name}-ingest-parking"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

data "aws_iam_policy_document" "queue_tls_only" {
  for_each = {
    dlq     = aws_sqs_queue.dlq.arn
    parking = aws_sqs_queue.parking.arn
  }

  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["sqs:*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = [each.value]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  policy    = data.aws_iam_policy_document.queue_tls_only["dlq"].json
}

resource "aws_sqs_queue_policy" "parking" {
  queue_url = aws_sqs_queue.parking.id
  policy    = data.aws_iam_policy_document.queue_tls_only["parking"].json
}
