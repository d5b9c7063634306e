# The raw buffer: an Amazon Data Firehose stream (Direct PUT) that the ingest Lambda
# writes one record per accepted batch to, and that delivers gzip NDJSON objects of
# buffering_size MiB or buffering_interval seconds, whichever comes first, into the raw
# bucket's year=/month=/day=/hour= partitions. Firehose is priced per GB ingested (each
# record rounded up to 5 KB), not per object, and its objects are already large, so the
# per-request S3 PUT and most of the compactor's reason to exist are gone.

locals {
  stream_name = "${var.name}-raw-buffer" # layout.RAW_BUFFER_STREAM_SUFFIX
  # layout.FIREHOSE_PREFIX: the partition of the arrival time of the buffer's oldest
  # record, the same partitions the ETL lists (RAW_PARTITION_FORMAT).
  prefix = "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
  # layout.FIREHOSE_ERROR_PREFIX: outside the year= partitions, so neither the ETL nor
  # the lake's projection lists failed records as events.
  error_prefix = "firehose-errors/!{firehose:error-output-type}/${local.prefix}"
  # layout.RAW_OBJECT_SUFFIX: the ETL reads every *.ndjson.gz object of a partition.
  file_extension = ".ndjson.gz"
}

resource "aws_kinesis_firehose_delivery_stream" "this" {
  name        = local.stream_name
  destination = "extended_s3"

  # The stream's own buffer is encrypted with the raw bucket's key, like the objects.
  server_side_encryption {
    enabled  = true
    key_type = "CUSTOMER_MANAGED_CMK"
    key_arn  = var.raw_kms_key_arn
  }

  extended_s3_configuration {
    role_arn            = aws_iam_role.this.arn
    bucket_arn          = var.raw_bucket_arn
    prefix              = local.prefix
    error_output_prefix = local.error_prefix
    file_extension      = local.file_extension
    compression_format  = "GZIP"
    kms_key_arn         = var.raw_kms_key_arn
    buffering_size      = var.buffering_size_mb
    buffering_interval  = var.buffering_interval_seconds

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.this.name
      log_stream_name = aws_cloudwatch_log_stream.delivery.name
    }
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.this]
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs already encrypts at rest; delivery errors name objects and the bucket, never events.
  #checkov:skip=CKV_AWS_338:Delivery errors are useful for weeks; the raw bucket is the long-term record. Retention is a variable.
  name              = "/aws/kinesisfirehose/${local.stream_name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_cloudwatch_log_stream" "delivery" {
  name           = "DestinationDelivery"
  log_group_name = aws_cloudwatch_log_group.this.name
}
