# Plan-time tests with a mocked AWS provider: no credentials, no network.
mock_provider "aws" {
  # Policy documents are rendered by the provider; the mock's random string is not JSON.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  override_data {
    target = data.aws_caller_identity.current
    values = {
      account_id = "123456789012"
    }
  }
}

variables {
  name            = "clickstream-dev"
  raw_bucket_arn  = "arn:aws:s3:::clickstream-dev-raw-123456789012"
  raw_kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

run "delivers_gzip_into_the_etl_partitions_with_the_raw_key" {
  command = plan

  assert {
    condition     = aws_kinesis_firehose_delivery_stream.this.name == "clickstream-dev-raw-buffer"
    error_message = "the stream is <name>-raw-buffer (layout.RAW_BUFFER_STREAM_SUFFIX)"
  }

  assert {
    condition     = aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].prefix == "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
    error_message = "objects must land in the year=/month=/day=/hour= partitions the ETL lists"
  }

  assert {
    condition     = startswith(aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].error_output_prefix, "firehose-errors/!{firehose:error-output-type}/")
    error_message = "failed records go under firehose-errors/, outside the partitions"
  }

  assert {
    condition     = aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].compression_format == "GZIP" && aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].file_extension == ".ndjson.gz"
    error_message = "objects must be gzip NDJSON named *.ndjson.gz (layout.RAW_OBJECT_SUFFIX)"
  }

  assert {
    condition     = aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].kms_key_arn == var.raw_kms_key_arn && aws_kinesis_firehose_delivery_stream.this.server_side_encryption[0].key_arn == var.raw_kms_key_arn && aws_kinesis_firehose_delivery_stream.this.server_side_encryption[0].enabled
    error_message = "the stream and its objects must be encrypted with the raw bucket's key"
  }

  assert {
    condition     = aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].buffering_size == 5 && aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].buffering_interval == 300
    error_message = "default buffering must be 5 MiB / 300 s"
  }

  assert {
    condition     = aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].cloudwatch_logging_options[0].enabled
    error_message = "delivery errors must be logged to CloudWatch"
  }
}

run "buffering_hints_are_variables" {
  command = plan

  variables {
    buffering_size_mb          = 64
    buffering_interval_seconds = 900
  }

  assert {
    condition     = aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].buffering_size == 64 && aws_kinesis_firehose_delivery_stream.this.extended_s3_configuration[0].buffering_interval == 900
    error_message = "buffering_size_mb and buffering_interval_seconds must reach the stream"
  }
}

run "an_interval_beyond_firehose_range_is_refused" {
  command = plan

  variables {
    buffering_interval_seconds = 3600
  }

  expect_failures = [var.buffering_interval_seconds]
}

run "the_delivery_role_puts_into_partitions_and_error_prefix_only" {
  command = plan

  assert {
    condition = toset(flatten([for s in data.aws_iam_policy_document.this.statement : s.resources if contains(s.actions, "s3:PutObject")])) == toset([
      "arn:aws:s3:::clickstream-dev-raw-123456789012/year=*/month=*/day=*/hour=*/clickstream-dev-raw-buffer-*",
      "arn:aws:s3:::clickstream-dev-raw-123456789012/firehose-errors/*",
    ])
    error_message = "Firehose may put objects only inside partitions (named after the stream) and under the error prefix"
  }

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.this.statement : !contains(s.actions, "s3:*") && !contains(s.resources, "*") if s.sid != "WriteDeliveryLog"])
    error_message = "no wildcard action or resource"
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.this.statement : s.resources if s.sid == "EncryptWithRawKey"][0] == toset([var.raw_kms_key_arn])
    error_message = "KMS use is limited to the raw bucket's key"
  }
}
