data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  etl_function_name     = "${var.name}-etl"
  compact_function_name = "${var.name}-compact"
  source_code_hash      = fileexists(var.package_path) ? filebase64sha256(var.package_path) : null
  # Lambda's maximum: a run stops taking new hours 60 s before it and the next run
  # continues with the hours still holding small objects.
  compact_timeout_seconds = 900
}

resource "aws_lambda_function" "etl" {
  #checkov:skip=CKV_AWS_173:The environment holds names and limits only; the DSN is an SSM SecureString read at cold start.
  #checkov:skip=CKV_AWS_272:Code signing needs a Signer profile and a signed artifact pipeline; the zip is built reproducibly from pinned dependencies and referenced by hash.
  function_name = local.etl_function_name
  description   = "Loads new raw objects into the PostgreSQL warehouse (watermark + grace window)."
  role          = aws_iam_role.etl.arn
  runtime       = "python3.12"
  architectures = ["arm64"]
  handler       = "clickstream.etl.handler.lambda_handler"
  filename      = var.package_path
  # One run at a time: two concurrent runs would race on the watermark.
  reserved_concurrent_executions = 1
  source_code_hash               = local.source_code_hash
  memory_size                    = var.memory_size
  timeout                        = var.timeout_seconds

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = var.security_group_ids
  }

  environment {
    variables = {
      RAW_BUCKET              = var.raw_bucket_id
      DATABASE_URL_PARAM      = var.database_url_parameter_name
      SNS_TOPIC_ARN           = var.sns_topic_arn
      ETL_GRACE_HOURS         = tostring(var.grace_hours)
      ETL_TIME_BUDGET_SECONDS = tostring(var.timeout_seconds - 60)
      DLQ_URL                 = var.dlq_url
      PARKING_QUEUE_URL       = var.parking_queue_url
      INGEST_FUNCTION_NAME    = var.ingest_function_name
      ALARM_NAME_PREFIX       = "${var.name}-"
      LOG_LEVEL               = var.log_level
      # Business alerts after each run (docs/runbook.md, "Business alerts").
      BIZ_ALERTS_ENABLED         = tostring(var.business_alerts.enabled)
      BIZ_CONVERSION_MIN_PERCENT = tostring(var.business_alerts.conversion_min_percent)
      BIZ_CONVERSION_HOURS       = tostring(var.business_alerts.conversion_hours)
      BIZ_NO_PURCHASE_HOURS      = tostring(var.business_alerts.no_purchase_hours)
      BIZ_COMPARE_HOURS          = tostring(var.business_alerts.compare_hours)
      BIZ_DROP_PERCENT           = tostring(var.business_alerts.drop_percent)
      BIZ_MIN_SESSIONS           = tostring(var.business_alerts.min_sessions)
    }
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.schedule_dlq.arn
  }

  tracing_config {
    mode = "PassThrough"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.etl.name
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.etl, aws_iam_role_policy_attachment.etl_vpc]
}

# The compactor records every merge in the warehouse's manifest (only loaded objects
# are merged), so it needs what the ETL needs: the same settings, read by the same
# loader (EtlSettings.from_env), the same subnets and security group to reach
# PostgreSQL, and its own read of the DSN parameter.
resource "aws_lambda_function" "compact" {
  #checkov:skip=CKV_AWS_173:The environment holds names and limits only; the DSN is an SSM SecureString read at cold start.
  #checkov:skip=CKV_AWS_272:Code signing needs a Signer profile and a signed artifact pipeline; the zip is built reproducibly from pinned dependencies and referenced by hash.
  function_name                  = local.compact_function_name
  description                    = "Merges the small events-* objects of closed hours into compacted-* objects."
  role                           = aws_iam_role.compact.arn
  runtime                        = "python3.12"
  architectures                  = ["arm64"]
  handler                        = "clickstream.etl.compact_handler.lambda_handler"
  filename                       = var.package_path
  reserved_concurrent_executions = 1
  source_code_hash               = local.source_code_hash
  memory_size                    = var.memory_size
  timeout                        = local.compact_timeout_seconds

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = var.security_group_ids
  }

  environment {
    variables = {
      RAW_BUCKET              = var.raw_bucket_id
      DATABASE_URL_PARAM      = var.database_url_parameter_name
      SNS_TOPIC_ARN           = var.sns_topic_arn
      ETL_GRACE_HOURS         = tostring(var.grace_hours)
      ETL_TIME_BUDGET_SECONDS = tostring(local.compact_timeout_seconds - 60)
      LOG_LEVEL               = var.log_level
    }
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.schedule_dlq.arn
  }

  tracing_config {
    mode = "PassThrough"
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.compact.name
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.compact, aws_iam_role_policy_attachment.compact_vpc]
}

resource "aws_cloudwatch_log_group" "etl" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs already encrypts at rest; ETL logs hold counts and object keys, no PII.
  #checkov:skip=CKV_AWS_338:Operational logs; retention is a variable.
  name              = "/aws/lambda/${local.etl_function_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_cloudwatch_log_group" "compact" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs already encrypts at rest; compactor logs hold object keys only.
  #checkov:skip=CKV_AWS_338:Operational logs; retention is a variable.
  name              = "/aws/lambda/${local.compact_function_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}
