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

run "default_lifecycle_is_ia_30_glacier_365" {
  command = plan

  assert {
    condition     = { for t in aws_s3_bucket_lifecycle_configuration.raw.rule[0].transition : t.storage_class => t.days } == { STANDARD_IA = 30, GLACIER = 365 }
    error_message = "raw objects must move to Standard-IA at 30 days and Glacier Flexible Retrieval at 365"
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.raw.rule[0].expiration[0].days == 730
    error_message = "default expiry must be 730 days"
  }
}

run "bucket_name_follows_the_layout_pattern" {
  command = plan

  variables {
    name = "clickstream-dev"
  }

  assert {
    # Same expression as clickstream.contract.layout.RAW_BUCKET_NAME_PATTERN (the
    # agreement test checks that this file and layout.py carry the same pattern).
    condition     = can(regex("^[a-z0-9-]{3,20}-(prod|dev|staging|local)-raw(-[0-9]{12})?$", aws_s3_bucket.raw.bucket))
    error_message = "raw bucket name must match layout.RAW_BUCKET_NAME_PATTERN"
  }

  assert {
    condition     = aws_s3_bucket.raw.bucket == "clickstream-dev-raw-123456789012"
    error_message = "raw bucket name must be <name>-raw-<account id>"
  }
}

run "expiry_can_be_disabled_and_days_changed" {
  command = plan

  variables {
    transition_ia_days      = 60
    transition_glacier_days = 180
    expiration_days         = 0
  }

  assert {
    condition     = { for t in aws_s3_bucket_lifecycle_configuration.raw.rule[0].transition : t.storage_class => t.days } == { STANDARD_IA = 60, GLACIER = 180 }
    error_message = "transition days must follow the variables"
  }

  assert {
    condition     = length(aws_s3_bucket_lifecycle_configuration.raw.rule[0].expiration) == 0
    error_message = "expiration_days = 0 must keep raw objects forever"
  }
}

run "glacier_before_ia_minimum_is_refused" {
  command = plan

  variables {
    transition_ia_days      = 30
    transition_glacier_days = 45
  }

  expect_failures = [var.transition_glacier_days]
}

run "encryption_uses_own_kms_key" {
  command = plan

  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.raw.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
    error_message = "raw bucket must use SSE-KMS"
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.raw.block_public_acls && aws_s3_bucket_public_access_block.raw.restrict_public_buckets
    error_message = "raw bucket must block public access"
  }
}

# Issue 8, class 9: CloudFront standard logs (client IPs, query strings) are no longer
# written; those already in the log bucket expire within a day, not after a year.
run "legacy_cloudfront_logs_expire_fast_and_acls_are_off" {
  command = plan

  assert {
    condition = anytrue([
      for r in aws_s3_bucket_lifecycle_configuration.access_logs.rule :
      r.filter[0].prefix == "cloudfront/" && r.expiration[0].days <= 1 && r.status == "Enabled"
    ])
    error_message = "old CloudFront standard logs must expire within a day"
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.access_logs.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "nothing delivers through ACLs any more; the log bucket must disable them"
  }
}
