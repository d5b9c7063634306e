data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  database_name = replace("${var.name}_lake", "-", "_")
  table_name    = "raw_events"
  # Glue/Athena spelling of layout.RAW_PARTITION_FORMAT; the agreement test checks it.
  partition_template = "year=$${year}/month=$${month}/day=$${day}/hour=$${hour}/"
}

resource "aws_glue_catalog_database" "this" {
  name        = local.database_name
  description = "Raw clickstream NDJSON in ${var.raw_bucket_id}, queried in place with Athena."
  tags        = var.tags
}

# Partition projection computes partitions from the template instead of crawling or
# MSCK REPAIR: nothing to keep in sync when the ingest opens a new hour.
resource "aws_glue_catalog_table" "raw_events" {
  name          = local.table_name
  database_name = aws_glue_catalog_database.this.name
  description   = "One row per accepted event as the ingest wrote it (docs/raw-events.md); duplicates from client retries are possible, dedupe on event_id."
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    EXTERNAL                    = "TRUE"
    classification              = "json"
    compressionType             = "gzip"
    "projection.enabled"        = "true"
    "projection.year.type"      = "integer"
    "projection.year.range"     = "${var.projection_start_year},${var.projection_end_year}"
    "projection.year.digits"    = "4"
    "projection.month.type"     = "integer"
    "projection.month.range"    = "1,12"
    "projection.month.digits"   = "2"
    "projection.day.type"       = "integer"
    "projection.day.range"      = "1,31"
    "projection.day.digits"     = "2"
    "projection.hour.type"      = "integer"
    "projection.hour.range"     = "0,23"
    "projection.hour.digits"    = "2"
    "storage.location.template" = "s3://${var.raw_bucket_id}/${local.partition_template}"
  }

  partition_keys {
    name = "year"
    type = "string"
  }
  partition_keys {
    name = "month"
    type = "string"
  }
  partition_keys {
    name = "day"
    type = "string"
  }
  partition_keys {
    name = "hour"
    type = "string"
  }

  storage_descriptor {
    location      = "s3://${var.raw_bucket_id}/"
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

    ser_de_info {
      name                  = "json"
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
      parameters = {
        "ignore.malformed.json" = "true"
        "case.insensitive"      = "true"
      }
    }

    dynamic "columns" {
      for_each = [
        ["raw_version", "int"],
        ["event_id", "string"],
        ["ts", "string"],
        ["event_type", "string"],
        ["session_id", "string"],
        ["user_id", "string"],
        ["anonymous_id", "string"],
        ["page_url", "string"],
        ["page_title", "string"],
        ["referrer", "string"],
        ["engaged_ms", "bigint"],
        ["device", "struct<type:string>"],
        ["geo", "struct<country:string,city:string>"],
        ["ecom", "struct<product_id:string,category:string,currency:string,price:double,qty:int>"],
        ["props", "map<string,string>"],
        ["received_at", "string"],
        ["request_id", "string"],
        ["auth", "string"],
        ["clock_skew", "string"],
        ["ua", "struct<browser:string,browser_version:string,os:string,os_version:string,device_family:string,device_type:string>"],
        ["is_bot", "boolean"],
        ["utm", "struct<source:string,medium:string,campaign:string,term:string,content:string>"],
      ]
      content {
        name = columns.value[0]
        type = columns.value[1]
      }
    }
  }
}
