# Alarms of the proposal's observability list. Every alarm notifies the alert topic on
# ALARM and on OK, so the on-call sees both the page and the recovery.
#
# Every alarm is defined once, in alarm_definitions.json (metric, namespace, statistic,
# period, evaluation periods, threshold, comparison, missing data), shared with the
# local stack, which evaluates the same file against moto (lambdas/clickstream/local/alarms.py).
# The three resources below only differ in how they fill in a definition; none of them
# holds a metric or a threshold of its own (tests/unit/test_local_alarms.py checks it).

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
  essential_health     = ["api_5xx", "data_freshness", "warehouse_status_check"]

  # Namespace "custom" is var.metrics_namespace; a dimension value "var.NAME" is the
  # variable of that name in local.dimension_values; a threshold or evaluation_periods
  # given as a string ("var.NAME", "local.NAME") is looked up in local.alarm_parameters.
  definitions = jsondecode(file("${path.module}/alarm_definitions.json"))
  dimension_values = {
    api_id                    = var.api_id
    api_stage                 = var.api_stage
    ingest_function_name      = var.ingest_function_name
    etl_function_name         = var.etl_function_name
    compact_function_name     = var.compact_function_name
    delivery_stream_name      = var.delivery_stream_name
    schedule_group_name       = var.schedule_group_name
    ingest_dlq_name           = var.ingest_dlq_name
    ingest_parking_queue_name = var.ingest_parking_queue_name
    schedule_dlq_name         = var.schedule_dlq_name
    warehouse_instance_id     = var.warehouse_instance_id
  }
  # The local stack resolves the same names (lambdas/clickstream/local/alarms.py, PARAMETERS).
  alarm_parameters = {
    "var.api_5xx_threshold"              = var.api_5xx_threshold
    "var.api_latency_p95_ms"             = var.api_latency_p95_ms
    "var.freshness_threshold_minutes"    = var.freshness_threshold_minutes
    "local.etl_duration_threshold_ms"    = floor(var.etl_timeout_seconds * 1000 * var.etl_duration_alarm_ratio)
    "local.freshness_evaluation_periods" = var.freshness_threshold_minutes / 60
  }
  resolved_alarms = {
    for group, entries in { for g in ["occurrence", "queue", "health"] : g => local.definitions[g] } : group => {
      for k, v in entries : k => {
        alarm_name          = v.alarm_name
        namespace           = v.namespace == "custom" ? var.metrics_namespace : v.namespace
        metric_name         = v.metric_name
        dimensions          = { for dk, dv in v.dimensions : dk => startswith(dv, "var.") ? local.dimension_values[trimprefix(dv, "var.")] : dv }
        statistic           = try(v.statistic, null)
        extended_statistic  = try(v.extended_statistic, null)
        period              = v.period
        evaluation_periods  = try(local.alarm_parameters[v.evaluation_periods], v.evaluation_periods)
        threshold           = try(local.alarm_parameters[v.threshold], v.threshold)
        comparison_operator = v.comparison_operator
        treat_missing_data  = v.treat_missing_data
        description         = replace(v.description, "{threshold}", tostring(try(local.alarm_parameters[v.threshold], v.threshold)))
      }
    }
  }
  occurrence_alarms = local.resolved_alarms.occurrence
  # The keys are the resource addresses (dlq_depth["ingest"] ...); the alarm names say
  # what each queue holds.
  queue_alarms = local.resolved_alarms.queue
  # API 5xx and latency, ETL duration, data freshness, the warehouse host: the alarms
  # whose thresholds are this module's variables.
  health_alarms = local.resolved_alarms.health
}

# --- Ingest API, ETL duration, freshness, the warehouse host (local.health_alarms) --

resource "aws_cloudwatch_metric_alarm" "health" {
  for_each = { for k, v in local.health_alarms : k => v if local.full || contains(local.essential_health, k) }

  alarm_name          = "${var.name}-${each.value.alarm_name}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  extended_statistic  = each.value.extended_statistic
  period              = each.value.period
  evaluation_periods  = each.value.evaluation_periods
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison_operator
  treat_missing_data  = each.value.treat_missing_data
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

# --- Any occurrence (local.occurrence_alarms) ------------------------------------

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

# Addresses the health alarms had as one resource each (chained: api_latency ->
# api_latency[0] -> health["api_latency"]).
moved {
  from = aws_cloudwatch_metric_alarm.api_5xx
  to   = aws_cloudwatch_metric_alarm.health["api_5xx"]
}

moved {
  from = aws_cloudwatch_metric_alarm.api_latency[0]
  to   = aws_cloudwatch_metric_alarm.health["api_latency"]
}

moved {
  from = aws_cloudwatch_metric_alarm.etl_duration[0]
  to   = aws_cloudwatch_metric_alarm.health["etl_duration"]
}

moved {
  from = aws_cloudwatch_metric_alarm.data_freshness
  to   = aws_cloudwatch_metric_alarm.health["data_freshness"]
}

moved {
  from = aws_cloudwatch_metric_alarm.warehouse_status_check
  to   = aws_cloudwatch_metric_alarm.health["warehouse_status_check"]
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
