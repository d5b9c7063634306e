data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-ingest"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

# Everything the function needs, each on one ARN. Raw events go to the raw buffer's
# delivery stream (modules/raw_buffer), which alone writes to the raw bucket: the
# function has no S3 permission at all.
data "aws_iam_policy_document" "this" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }

  statement {
    sid       = "PutRawEventsToTheRawBuffer"
    actions   = ["firehose:PutRecordBatch"]
    resources = [var.delivery_stream_arn]
  }

  # Send only: the function never reads, deletes or purges either queue.
  statement {
    sid       = "SendRejectedEventsAndParkedBatches"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn, aws_sqs_queue.parking.arn]
  }

  # SecureStrings under the account's aws/ssm key: SSM decrypts on the caller's
  # behalf, so no kms:Decrypt statement is needed.
  statement {
    sid     = "ReadOwnSecrets"
    actions = ["ssm:GetParameter"]
    resources = [
      var.site_keys_parameter_arn,
      var.pii_hash_key_parameter_arn,
      var.origin_verify_parameter_arn,
    ]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "ingest"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
