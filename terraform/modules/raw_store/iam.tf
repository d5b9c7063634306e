# One managed policy per kind of caller, each scoped to the partition layout
# year=*/month=*/day=*/hour=*/ and to the object name prefixes of layout.py.
# Attach them to roles; no role gets s3:* or the whole bucket.

data "aws_iam_policy_document" "write_raw" {
  statement {
    sid       = "PutRawObjects"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.raw.arn}/${local.partition_glob}events-*"]
  }

  statement {
    sid       = "EncryptWithRawKey"
    actions   = ["kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
  }
}

data "aws_iam_policy_document" "read_raw" {
  statement {
    sid       = "ListPartitions"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.raw.arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["", "year=*"]
    }
  }

  statement {
    sid       = "GetRawObjects"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.raw.arn}/${local.partition_glob}*"]
  }

  statement {
    sid       = "DecryptWithRawKey"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.this.arn]
  }
}

# The compactor merges small events-* objects of an hour into one compacted-* object
# in the same partition and deletes the originals it merged (versions are kept for
# noncurrent_version_expiration_days, so a bad run can be undone).
data "aws_iam_policy_document" "compact_raw" {
  statement {
    sid       = "WriteCompacted"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.raw.arn}/${local.partition_glob}compacted-*"]
  }

  # events-* it merged, and compacted-* outputs of its own runs that crashed before
  # they were recorded as loaded (abandoned outputs).
  statement {
    sid     = "DeleteMergedAndAbandonedObjects"
    actions = ["s3:DeleteObject"]
    resources = [
      "${aws_s3_bucket.raw.arn}/${local.partition_glob}events-*",
      "${aws_s3_bucket.raw.arn}/${local.partition_glob}compacted-*",
    ]
  }

  # A merged object larger than one part is uploaded in parts; a run that dies
  # mid-upload leaves an unfinished upload that the next run lists and aborts.
  statement {
    sid       = "ListUnfinishedUploads"
    actions   = ["s3:ListBucketMultipartUploads"]
    resources = [aws_s3_bucket.raw.arn]
  }

  statement {
    sid       = "AbortAbandonedUploads"
    actions   = ["s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.raw.arn}/${local.partition_glob}compacted-*"]
  }

  statement {
    sid       = "EncryptWithRawKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.this.arn]
  }
}

resource "aws_iam_policy" "write_raw" {
  name        = "${var.name}-raw-write"
  description = "Ingest: put events-* objects into raw partitions only."
  policy      = data.aws_iam_policy_document.write_raw.json
  tags        = var.tags
}

resource "aws_iam_policy" "read_raw" {
  name        = "${var.name}-raw-read"
  description = "ETL and lake readers: list and get raw partitions only."
  policy      = data.aws_iam_policy_document.read_raw.json
  tags        = var.tags
}

resource "aws_iam_policy" "compact_raw" {
  name        = "${var.name}-raw-compact"
  description = "Compactor: write compacted-*, delete merged events-* and its own abandoned compacted-* objects in raw partitions."
  policy      = data.aws_iam_policy_document.compact_raw.json
  tags        = var.tags
}
