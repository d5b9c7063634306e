resource "aws_scheduler_schedule_group" "this" {
  name = var.name
  tags = var.tags
}

# Scheduler invokes the functions asynchronously. A failed delivery is retried
# (retry_policy) and then parked in the schedule DLQ, whose depth is alarmed; a
# missed ETL run is harmless beyond freshness because the next one lists everything
# newer than the watermark.
resource "aws_scheduler_schedule" "etl" {
  #checkov:skip=CKV_AWS_297:The schedule's only payload is {"source":"schedule"}; a CMK would protect nothing.
  name                         = "${var.name}-etl"
  group_name                   = aws_scheduler_schedule_group.this.name
  description                  = "Runs the ETL on the configured cadence."
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.schedule_timezone
  state                        = var.schedule_enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_function.etl.arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode({ source = "schedule" })

    retry_policy {
      maximum_retry_attempts       = 3
      maximum_event_age_in_seconds = 1800
    }

    dead_letter_config {
      arn = aws_sqs_queue.schedule_dlq.arn
    }
  }
}

resource "aws_scheduler_schedule" "compact" {
  #checkov:skip=CKV_AWS_297:The schedule's only payload is {"source":"schedule"}; a CMK would protect nothing.
  name                         = "${var.name}-compact"
  group_name                   = aws_scheduler_schedule_group.this.name
  description                  = "Compacts the small raw objects of every closed hour that still has them."
  schedule_expression          = var.compaction_schedule_expression
  schedule_expression_timezone = var.schedule_timezone
  state                        = var.schedule_enabled && var.compaction_enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode                      = "FLEXIBLE"
    maximum_window_in_minutes = 15
  }

  target {
    arn      = aws_lambda_function.compact.arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode({ source = "schedule" })

    retry_policy {
      maximum_retry_attempts       = 3
      maximum_event_age_in_seconds = 3600
    }

    dead_letter_config {
      arn = aws_sqs_queue.schedule_dlq.arn
    }
  }
}

resource "aws_sqs_queue" "schedule_dlq" {
  name                      = "${var.name}-schedule-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

data "aws_iam_policy_document" "schedule_dlq" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["sqs:*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    resources = [aws_sqs_queue.schedule_dlq.arn]
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "schedule_dlq" {
  queue_url = aws_sqs_queue.schedule_dlq.id
  policy    = data.aws_iam_policy_document.schedule_dlq.json
}

# Lambda's own async retries would re-run a failed ETL right away on the same input;
# the next scheduled run does that job, so failures go straight to the DLQ.
resource "aws_lambda_function_event_invoke_config" "etl" {
  function_name                = aws_lambda_function.etl.function_name
  maximum_retry_attempts       = 0
  maximum_event_age_in_seconds = 3600
}

resource "aws_lambda_function_event_invoke_config" "compact" {
  function_name                = aws_lambda_function.compact.function_name
  maximum_retry_attempts       = 0
  maximum_event_age_in_seconds = 3600
}
