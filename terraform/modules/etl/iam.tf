data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# --- ETL: read raw prefixes (managed policy), read its DSN, publish alerts, VPC ENIs.

resource "aws_iam_role" "etl" {
  name               = "${var.name}-etl"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "etl" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.etl.arn}:*"]
  }

  statement {
    sid       = "ReadDsn"
    actions   = ["ssm:GetParameter"]
    resources = [var.database_url_parameter_arn]
  }

  statement {
    sid       = "PublishRunFailures"
    actions   = ["sns:Publish"]
    resources = [var.sns_topic_arn]
  }

  # The alert topic is encrypted with the monitoring module's key: publishing needs a
  # data key from it.
  statement {
    sid       = "EncryptAlertsForTopic"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.alerts_kms_key_arn]
  }

  statement {
    sid       = "ParkFailedAsyncInvocations"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.schedule_dlq.arn]
  }

  # Reliability snapshot (clickstream.etl.reliability): the ingest Lambda's and the
  # ingest's own metrics. GetMetricData has no resource-level permissions.
  statement {
    sid       = "ReadIngestMetrics"
    actions   = ["cloudwatch:GetMetricData"]
    resources = ["*"]
  }

  # ...and the depth of the ingest's dead-letter and parking queues (attributes only:
  # no ReceiveMessage, so nothing is consumed). Same name prefix as modules/ingest.
  statement {
    sid       = "ReadIngestQueueDepth"
    actions   = ["sqs:GetQueueAttributes"]
    resources = ["arn:${data.aws_partition.current.partition}:sqs:*:${data.aws_caller_identity.current.account_id}:${var.name}-ingest-*"]
  }

  # ...and the states of the stack's own alarms (modules/monitoring names them
  # "<name>-..."), for the Reliability module's "Alarms and alerts" table.
  statement {
    sid       = "ReadStackAlarmStates"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = ["arn:${data.aws_partition.current.partition}:cloudwatch:*:${data.aws_caller_identity.current.account_id}:alarm:${var.name}-*"]
  }
}

resource "aws_iam_role_policy" "etl" {
  name   = "etl"
  role   = aws_iam_role.etl.id
  policy = data.aws_iam_policy_document.etl.json
}

resource "aws_iam_role_policy_attachment" "etl_read_raw" {
  role       = aws_iam_role.etl.name
  policy_arn = var.read_raw_policy_arn
}

# ENI management for VPC attachment; AWS's managed policy is the documented minimum.
resource "aws_iam_role_policy_attachment" "etl_vpc" {
  role       = aws_iam_role.etl.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

# --- Compactor: read raw, write compacted-*, delete merged events-* and its own
# abandoned compacted-*, read its DSN, publish alerts, VPC ENIs.

resource "aws_iam_role" "compact" {
  name               = "${var.name}-compact"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "compact" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.compact.arn}:*"]
  }

  # The same DSN parameter as the ETL (DATABASE_URL_PARAM), and nothing else in SSM.
  # SecureString under the account's aws/ssm key: SSM decrypts on the caller's behalf,
  # so no kms:Decrypt statement is needed for it.
  statement {
    sid       = "ReadDsn"
    actions   = ["ssm:GetParameter"]
    resources = [var.database_url_parameter_arn]
  }

  statement {
    sid       = "PublishCompactionFailures"
    actions   = ["sns:Publish"]
    resources = [var.sns_topic_arn]
  }

  statement {
    sid       = "EncryptAlertsForTopic"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.alerts_kms_key_arn]
  }

  statement {
    sid       = "ParkFailedAsyncInvocations"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.schedule_dlq.arn]
  }
}

resource "aws_iam_role_policy" "compact" {
  name   = "compact"
  role   = aws_iam_role.compact.id
  policy = data.aws_iam_policy_document.compact.json
}

resource "aws_iam_role_policy_attachment" "compact_read_raw" {
  role       = aws_iam_role.compact.name
  policy_arn = var.read_raw_policy_arn
}

resource "aws_iam_role_policy_attachment" "compact_write_raw" {
  role       = aws_iam_role.compact.name
  policy_arn = var.compact_raw_policy_arn
}

resource "aws_iam_role_policy_attachment" "compact_vpc" {
  role       = aws_iam_role.compact.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

# --- Scheduler: invoke exactly these two functions and park failures in the DLQ.

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name}-scheduler"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "InvokeEtlAndCompactor"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.etl.arn, aws_lambda_function.compact.arn]
  }

  statement {
    sid       = "ParkUndeliverableInvocations"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.schedule_dlq.arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "scheduler"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}
