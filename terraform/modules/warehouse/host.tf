# What the warehouse playbook (ansible/) needs from AWS besides the instance: a
# transfer bucket for the SSM connection and the log groups the CloudWatch agent
# writes to.

# --- SSM transfer bucket ---------------------------------------------------------
# Ansible's aws_ssm connection moves module files through S3 (presigned URLs made by
# the operator's credentials; the host itself needs no S3 right for it). Module
# arguments can hold secrets, so: no versioning (deleted objects must be gone, as the
# plugin's documentation advises), objects expire after a day, KMS-encrypted.

resource "aws_s3_bucket" "ssm_transfer" {
  #checkov:skip=CKV_AWS_21:Versioning would keep Ansible's transferred files (which can hold secrets) after the plugin deletes them.
  #checkov:skip=CKV_AWS_144:Transient transfer files; replicating them would only spread secrets.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to transfer files.
  bucket        = "${var.name}-ssm-transfer-${data.aws_caller_identity.current.account_id}"
  force_destroy = true
  tags          = merge(var.tags, { DataClass = "transient" })
}

resource "aws_s3_bucket_public_access_block" "ssm_transfer" {
  bucket                  = aws_s3_bucket.ssm_transfer.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "ssm_transfer" {
  bucket = aws_s3_bucket.ssm_transfer.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "ssm_transfer" {
  bucket = aws_s3_bucket.ssm_transfer.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = local.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "ssm_transfer" {
  bucket        = aws_s3_bucket.ssm_transfer.id
  target_bucket = var.access_log_bucket_id
  target_prefix = "s3/${aws_s3_bucket.ssm_transfer.id}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "ssm_transfer" {
  bucket = aws_s3_bucket.ssm_transfer.id

  rule {
    id     = "expire-transfers"
    status = "Enabled"

    filter {}

    expiration {
      days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

data "aws_iam_policy_document" "ssm_transfer_bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.ssm_transfer.arn,
      "${aws_s3_bucket.ssm_transfer.arn}/*",
    ]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "ssm_transfer" {
  bucket = aws_s3_bucket.ssm_transfer.id
  policy = data.aws_iam_policy_document.ssm_transfer_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.ssm_transfer]
}

# --- Host log groups (CloudWatch agent) -------------------------------------------

resource "aws_cloudwatch_log_group" "host" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs already encrypts at rest; a customer key would need a logs grant on the warehouse key for operational logs.
  #checkov:skip=CKV_AWS_338:Operational logs; retention is a variable.
  for_each          = toset(local.host_log_names)
  name              = "${local.log_group_prefix}/${each.key}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}
