# Firehose's delivery role: put objects under the partitions and the error prefix of the
# raw bucket only, with the raw bucket's key, and write its own delivery log.

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["firehose.amazonaws.com"]
    }
    # Only this account's delivery streams may assume the role (confused deputy).
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-raw-buffer"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "this" {
  # Firehose checks the bucket and cleans up its own multipart uploads.
  statement {
    sid       = "FindTheRawBucket"
    actions   = ["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"]
    resources = [var.raw_bucket_arn]
  }

  # Objects named <stream>-... inside a partition, and error output under its prefix.
  statement {
    sid     = "PutRawBufferObjects"
    actions = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [
      "${var.raw_bucket_arn}/year=*/month=*/day=*/hour=*/${local.stream_name}-*",
      "${var.raw_bucket_arn}/firehose-errors/*",
    ]
  }

  statement {
    sid       = "EncryptWithRawKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.raw_kms_key_arn]
    condition {
      test     = "StringLike"
      variable = "kms:EncryptionContext:aws:s3:arn"
      values   = ["${var.raw_bucket_arn}/*"]
    }
  }

  statement {
    sid       = "WriteDeliveryLog"
    actions   = ["logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:log-stream:${aws_cloudwatch_log_stream.delivery.name}"]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "raw-buffer-delivery"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}
