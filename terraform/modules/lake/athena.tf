resource "aws_s3_bucket" "results" {
  #checkov:skip=CKV_AWS_144:Query results are disposable and expire; replication would only add cost.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to new query results.
  bucket        = "${var.name}-athena-${data.aws_caller_identity.current.account_id}"
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { DataClass = "athena-results" })
}

resource "aws_s3_bucket_public_access_block" "results" {
  bucket                  = aws_s3_bucket.results.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "results" {
  bucket = aws_s3_bucket.results.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "results" {
  bucket = aws_s3_bucket.results.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "results" {
  bucket = aws_s3_bucket.results.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.raw_kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "results" {
  bucket        = aws_s3_bucket.results.id
  target_bucket = var.access_log_bucket_id
  target_prefix = "s3/${aws_s3_bucket.results.id}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "results" {
  bucket = aws_s3_bucket.results.id

  rule {
    id     = "expire-results"
    status = "Enabled"

    filter {}

    expiration {
      days = var.results_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.results]
}

data "aws_iam_policy_document" "results_bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.results.arn,
      "${aws_s3_bucket.results.arn}/*",
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

resource "aws_s3_bucket_policy" "results" {
  bucket = aws_s3_bucket.results.id
  policy = data.aws_iam_policy_document.results_bucket.json

  depends_on = [aws_s3_bucket_public_access_block.results]
}

resource "aws_athena_workgroup" "this" {
  name        = var.name
  description = "Ad-hoc and headline queries over all raw clickstream history."
  state       = "ENABLED"

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_gb * 1073741824

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${aws_s3_bucket.results.id}/results/"

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = var.raw_kms_key_arn
      }
    }
  }

  tags = var.tags
}

# Headline metrics of the dashboards, straight from raw history. Every query names a
# partition range so Athena reads only those hours; edit the dates before running.
locals {
  table = "\"${aws_glue_catalog_database.this.name}\".\"${aws_glue_catalog_table.raw_events.name}\""
  named_queries = {
    daily_active_users = {
      description = "Distinct shoppers and sessions per day (bots excluded)."
      query       = <<-SQL
        select year, month, day,
               count(distinct anonymous_id) as active_users,
               count(distinct session_id) as sessions,
               count(distinct event_id) as events
        from ${local.table}
        where year = '2026' and month = '01' and not coalesce(is_bot, false)
        group by year, month, day
        order by year, month, day
      SQL
    }
    funnel = {
      description = "view -> add_to_cart -> checkout -> purchase sessions and stage conversion."
      query       = <<-SQL
        with stages as (
          select session_id,
                 max(case when event_type = 'view' then 1 else 0 end) as has_view,
                 max(case when event_type = 'add_to_cart' then 1 else 0 end) as has_cart,
                 max(case when event_type = 'checkout' then 1 else 0 end) as has_checkout,
                 max(case when event_type = 'purchase' then 1 else 0 end) as has_purchase
          from ${local.table}
          where year = '2026' and month = '01' and not coalesce(is_bot, false)
          group by session_id
        )
        select sum(has_view) as viewed,
               sum(has_view * has_cart) as carted,
               sum(has_view * has_cart * has_checkout) as checked_out,
               sum(has_view * has_cart * has_checkout * has_purchase) as purchased
        from stages
      SQL
    }
    top_products = {
      description = "Views, add-to-cart and revenue by product."
      query       = <<-SQL
        with events as (
          select distinct event_id, event_type, ecom
          from ${local.table}
          where year = '2026' and month = '01' and ecom.product_id is not null and not coalesce(is_bot, false)
        )
        select ecom.product_id as product_id,
               count_if(event_type = 'view') as views,
               count_if(event_type = 'add_to_cart') as add_to_carts,
               sum(case when event_type = 'purchase' then ecom.price * coalesce(ecom.qty, 1) else 0 end) as revenue
        from events
        group by ecom.product_id
        order by revenue desc, views desc
        limit 50
      SQL
    }
    acquisition = {
      description = "Sessions by UTM source/medium, device type and country."
      query       = <<-SQL
        select coalesce(utm.source, '(direct)') as source,
               coalesce(utm.medium, '(none)') as medium,
               ua.device_type as device_type,
               geo.country as country,
               count(distinct session_id) as sessions
        from ${local.table}
        where year = '2026' and month = '01' and not coalesce(is_bot, false)
        group by 1, 2, 3, 4
        order by sessions desc
        limit 100
      SQL
    }
  }
}

resource "aws_athena_named_query" "this" {
  for_each = local.named_queries

  name        = each.key
  description = each.value.description
  workgroup   = aws_athena_workgroup.this.id
  database    = aws_glue_catalog_database.this.name
  query       = each.value.query
}
