# Alarms of the proposal's observability list. Every alarm notifies the alert topic on
# ALARM and on OK, so the on-call sees both the page and the recovery.

locals {
  alarm_actions = [aws_sns_topic.this.arn]
  full          = var.alarm_set == "full"

  # The lean profile keeps the alarms that matter most: data at risk (parked batches,
  # storage failures, the raw buffer not delivering), the ingest answering 5xx, the warehouse going stale or down, the
  # ETL failing. The rest (latency, throttles, duration, quarantine, schedules, the
  # compactor, rejected-event DLQ) only in the full set. Ten alarms or fewer stay in
  # CloudWatch's free tier.
  essential_occurrence = ["ingest_storage_failures", "etl_failed", "raw_buffer_freshness"]
  essential_queues     = ["parking"]

  # One definition of each single-occurrence and queue-depth alarm (metric, statistic,
  # period, evaluation periods, threshold, comparison, missing data), shared with the
  # local stack, which evaluates the same file against moto (lambdas/clickstream/local/alarms.py).
  # Namespace "custom" is var.metrics_namespace; a dimension value "var.NAME" is the
  # variable of that name in local.dimension_values.
  definitions = jsondecode(file("${path.module}/alarm_definitions.json"))
  dimension_values = {
    ingest_function_name      = var.ingest_function_name
    etl_function_name         = var.etl_function_name
    compact_function_name     = var.compact_function_name
    delivery_stream_name      = var.delivery_stream_name
    schedule_group_name       = var.schedule_group_name
    ingest_dlq_name           = var.ingest_dlq_name
    ingest_parking_queue_name = var.ingest_parking_queue_name
    schedule_dlq_name         = var.schedule_dlq_name
  }
  occurrence_alarms = {
    for k, v in local.definitions.occurrence : k => merge(v, {
      namespace  = v.namespace == "custom" ? var.metrics_namespace : v.namespace
      dimensions = { for dk, dv in v.dimensions : dk => startswith(dv, "var.") ? local.dimension_values[trimprefix(dv, "var.")] : dv }
    })
  }
  # The keys are the resource addresses (dlq_depth["ingest"] ...); the alarm names say
  # what each queue holds.
  queue_alarms = {
    for k, v in local.definitions.queue : k => merge(v, {
      dimensions = { for dk, dv in v.dimensions : dk => startswith(dv, "var.") ? local.dimension_values[trimprefix(dv, "var.")] : dv }
    })
  }
}

# --- Ingest API ----------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = "${var.name}-api-5xx"
  alarm_description   = "The ingest API returned 5xx: events may be lost client-side after SDK retries. Check the ingest function's logs."
  namespace           = "AWS/ApiGateway"
  metric_name         = "5xx"
  dimensions          = { ApiId = var.api_id, Stage = var.api_stage }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.api_5xx_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "api_latency" {
  count = local.full ? 1 : 0

  alarm_name          = "${var.name}-api-latency-p95"
  alarm_description   = "p95 ingest latency is high for 15 minutes (cold starts, S3 or SQS slowness)."
  namespace           = "AWS/ApiGateway"
  metric_name         = "Latency"
  dimensions          = { ApiId = var.api_id, Stage = var.api_stage }
  extended_statistic  = "p95"
  period              = 300
  evaluation_periods  = 3
  threshold           = var.api_latency_p95_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# --- Queues: any message at all is worth a look (local.queue_alarms) -------------

resource "aws_cloudwatch_metric_alarm" "dlq_depth" {
  for_each = { for k, v in local.queue_alarms : k => v if local.full || contains(local.essential_queues, k) }

  alarm_name          = "${var.name}-${each.value.alarm_name}"
  alarm_description   = "${each.value.description} (${each.value.dimensions["QueueName"]})"
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = each.value.evaluation_periods
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison_operator
  treat_missing_data  = each.value.treat_missing_data
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# --- ETL -----------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "etl_duration" {
  count = local.full ? 1 : 0

  alarm_name          = "${var.name}-etl-duration"
  alarm_description   = "An ETL run took more than ${floor(var.etl_duration_alarm_ratio * 100)}% of its timeout; the backlog will grow. Raise memory or cadence."
  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  dimensions          = { FunctionName = var.etl_function_name }
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = floor(var.etl_timeout_seconds * 1000 * var.etl_duration_alarm_ratio)
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# Freshness: the ETL publishes DataFreshnessMinutes after every run. Missing data is
# breaching on purpose: a schedule that stopped firing publishes nothing at all.
resource "aws_cloudwatch_metric_alarm" "data_freshness" {
  alarm_name          = "${var.name}-data-freshness"
  alarm_description   = "The warehouse has not been refreshed for ${var.freshness_threshold_minutes} minutes (freshness SLO)."
  namespace           = var.metrics_namespace
  metric_name         = "DataFreshnessMinutes"
  dimensions          = { service = "etl" }
  statistic           = "Minimum"
  period              = 3600
  evaluation_periods  = var.freshness_threshold_minutes / 60
  threshold           = var.freshness_threshold_minutes
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# --- Dashboard host ----------------------------------------------------------------
# Without a load balancer there is no target health; EC2's status checks say whether
# the host that serves Nginx, Shiny and PostgreSQL is up (free, 5-minute metrics).

resource "aws_cloudwatch_metric_alarm" "warehouse_status_check" {
  alarm_name          = "${var.name}-warehouse-status-check"
  alarm_description   = "The warehouse host (PostgreSQL, Nginx, Shiny) fails its EC2 status checks: the dashboard is down and the ETL cannot load. See docs/runbook.md."
  namespace           = "AWS/EC2"
  metric_name         = "StatusCheckFailed"
  dimensions          = { InstanceId = var.warehouse_instance_id }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# --- Any occurrence (occurrence_alarms above) ------------------------------------

resource "aws_cloudwatch_metric_alarm" "occurrence" {
  for_each = { for k, v in local.occurrence_alarms : k => v if local.full || contains(local.essential_occurrence, k) }

  alarm_name          = "${var.name}-${each.value.alarm_name}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = each.value.evaluation_periods
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison_operator
  treat_missing_data  = each.value.treat_missing_data
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# Addresses these alarms had before the alarm sets.
moved {
  from = aws_cloudwatch_metric_alarm.api_latency
  to   = aws_cloudwatch_metric_alarm.api_latency[0]
}

moved {
  from = aws_cloudwatch_metric_alarm.etl_duration
  to   = aws_cloudwatch_metric_alarm.etl_duration[0]
}

# Addresses these alarms had as one resource each.
moved {
  from = aws_cloudwatch_metric_alarm.ingest_errors
  to   = aws_cloudwatch_metric_alarm.occurrence["ingest_errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.ingest_throttles
  to   = aws_cloudwatch_metric_alarm.occurrence["ingest_throttles"]
}

moved {
  from = aws_cloudwatch_metric_alarm.ingest_storage_failures
  to   = aws_cloudwatch_metric_alarm.occurrence["ingest_storage_failures"]
}

moved {
  from = aws_cloudwatch_metric_alarm.etl_errors
  to   = aws_cloudwatch_metric_alarm.occurrence["etl_errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.etl_failed
  to   = aws_cloudwatch_metric_alarm.occurrence["etl_failed"]
}

moved {
  from = aws_cloudwatch_metric_alarm.quarantined_objects
  to   = aws_cloudwatch_metric_alarm.occurrence["quarantined_objects"]
}

moved {
  from = aws_cloudwatch_metric_alarm.schedule_target_errors
  to   = aws_cloudwatch_metric_alarm.occurrence["schedule_target_errors"]
}

moved {
  from = aws_cloudwatch_metric_alarm.schedule_dropped
  to   = aws_cloudwatch_metric_alarm.occurrence["schedule_dropped"]
}
