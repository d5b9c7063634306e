mock_provider "aws" {
  # Policy documents are rendered by the provider; the mock's random string is not JSON.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

# The wiring inputs modules/platform passes from other modules (required: no defaults).
variables {
  api_id                    = "example"
  ingest_function_name      = "clickstream-prod-ingest"
  ingest_dlq_name           = "clickstream-prod-ingest-dlq"
  ingest_parking_queue_name = "clickstream-prod-ingest-parking"
  etl_function_name         = "clickstream-prod-etl"
  compact_function_name     = "clickstream-prod-compact"
  schedule_group_name       = "clickstream-prod"
  schedule_dlq_name         = "clickstream-prod-schedule-dlq"
  warehouse_instance_id     = "i-0123456789abcdef0"
  delivery_stream_name      = "clickstream-prod-raw-buffer"
}

run "default_thresholds" {
  command = plan

  override_resource {
    target          = aws_sns_topic.this
    override_during = plan
    values = {
      arn = "arn:aws:sns:us-east-1:000000000000:clickstream-prod-alerts"
    }
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.health["api_5xx"].threshold == 1 && aws_cloudwatch_metric_alarm.health["api_5xx"].comparison_operator == "GreaterThanOrEqualToThreshold"
    error_message = "any API 5xx must alarm"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.health["api_latency"].extended_statistic == "p95" && aws_cloudwatch_metric_alarm.health["api_latency"].threshold == 1000
    error_message = "latency alarm must watch p95 against 1000 ms"
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.dlq_depth) == 3 && alltrue([for a in aws_cloudwatch_metric_alarm.dlq_depth : a.threshold == 0 && a.comparison_operator == "GreaterThanThreshold" && a.alarm_actions == toset([aws_sns_topic.this.arn])])
    error_message = "depth > 0 must alarm to SNS on the DLQ, the parking queue and the schedule DLQ"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.dlq_depth["parking"].dimensions["QueueName"] == "clickstream-prod-ingest-parking" && aws_cloudwatch_metric_alarm.dlq_depth["parking"].alarm_name == "clickstream-prod-ingest-parking-depth"
    error_message = "the parking queue must have its own depth alarm, apart from the DLQ of rejected events"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.dlq_depth["ingest"].alarm_name == "clickstream-prod-ingest-dlq-depth" && aws_cloudwatch_metric_alarm.dlq_depth["schedule"].alarm_name == "clickstream-prod-schedule-dlq-depth"
    error_message = "existing queue alarms must keep their names"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.occurrence["compact_errors"].dimensions["FunctionName"] == "clickstream-prod-compact"
    error_message = "a failing compactor must alarm"
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.occurrence) == 11 && alltrue([for k, a in aws_cloudwatch_metric_alarm.occurrence : a.threshold == 1 && a.comparison_operator == "GreaterThanOrEqualToThreshold" && a.evaluation_periods == 1 if !startswith(k, "raw_buffer_")])
    error_message = "every single-occurrence alarm must fire on the first occurrence"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.occurrence["raw_buffer_freshness"].dimensions["DeliveryStreamName"] == "clickstream-prod-raw-buffer" && aws_cloudwatch_metric_alarm.occurrence["raw_buffer_freshness"].threshold > 900 && aws_cloudwatch_metric_alarm.occurrence["raw_buffer_delivery_failures"].metric_name == "DeliveryToS3.Success"
    error_message = "the raw buffer alarms on data older than any buffer interval (900 s) and on failed deliveries"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.occurrence["etl_failed"].alarm_name == "clickstream-prod-etl-failed" && aws_cloudwatch_metric_alarm.occurrence["etl_failed"].namespace == "Clickstream"
    error_message = "the EtlFailed alarm must keep its name and watch the ETL's EMF namespace"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.health["etl_duration"].threshold == 480000
    error_message = "ETL duration alarm must fire at 80% of a 600 s timeout (480000 ms)"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.health["data_freshness"].metric_name == "DataFreshnessMinutes" && aws_cloudwatch_metric_alarm.health["data_freshness"].namespace == "Clickstream"
    error_message = "freshness alarm must watch the ETL's DataFreshnessMinutes EMF metric"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.health["data_freshness"].treat_missing_data == "breaching" && aws_cloudwatch_metric_alarm.health["data_freshness"].evaluation_periods == 2
    error_message = "a silent ETL must breach freshness after 120 minutes (two hourly periods)"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.health["data_freshness"].alarm_description == replace(aws_cloudwatch_metric_alarm.health["data_freshness"].alarm_description, "{threshold}", "") && strcontains(aws_cloudwatch_metric_alarm.health["data_freshness"].alarm_description, "120 minutes")
    error_message = "the freshness description must carry its resolved threshold"
  }

  assert {
    condition     = toset([for a in aws_cloudwatch_metric_alarm.health : a.alarm_name]) == toset(["clickstream-prod-api-5xx", "clickstream-prod-api-latency-p95", "clickstream-prod-etl-duration", "clickstream-prod-data-freshness", "clickstream-prod-warehouse-status-check"])
    error_message = "the health alarms must keep the names they had as resources of their own"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.health["api_latency"].statistic == null && aws_cloudwatch_metric_alarm.health["api_5xx"].extended_statistic == null && aws_cloudwatch_metric_alarm.health["api_5xx"].dimensions == tomap({ ApiId = "example", Stage = "$default" })
    error_message = "a percentile alarm has no plain statistic and the other way round; API alarms watch the API's id and stage"
  }

  assert {
    condition     = length(output.alarm_names) == 19
    error_message = "the full set has every definition of alarm_definitions.json (11 occurrence, 3 queue, 5 health)"
  }
}

run "thresholds_follow_variables" {
  command = plan

  variables {
    etl_timeout_seconds         = 900
    etl_duration_alarm_ratio    = 0.5
    freshness_threshold_minutes = 360
    api_latency_p95_ms          = 250
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.health["etl_duration"].threshold == 450000
    error_message = "duration threshold must be ratio x timeout"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.health["data_freshness"].evaluation_periods == 6 && aws_cloudwatch_metric_alarm.health["data_freshness"].threshold == 360
    error_message = "freshness must evaluate one hourly period per hour of SLO"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.health["api_latency"].threshold == 250
    error_message = "latency threshold must follow its variable"
  }
}

run "budget_alerts_actual_and_forecast" {
  command = plan

  variables {
    monthly_budget_usd = 42
  }

  assert {
    condition     = aws_budgets_budget.this.limit_amount == "42.00"
    error_message = "budget limit must follow monthly_budget_usd"
  }

  assert {
    condition     = toset([for n in aws_budgets_budget.this.notification : n.notification_type]) == toset(["ACTUAL", "FORECASTED"])
    error_message = "budget must alert on actual and forecast spend"
  }
}

run "freshness_must_be_whole_hours" {
  command = plan

  variables {
    freshness_threshold_minutes = 90
  }

  expect_failures = [var.freshness_threshold_minutes]
}

run "essential_alarm_set_keeps_what_matters_most" {
  command = plan

  variables {
    alarm_set = "essential"
  }

  override_resource {
    target          = aws_sns_topic.this
    override_during = plan
    values = {
      arn = "arn:aws:sns:us-east-1:000000000000:clickstream-prod-alerts"
    }
  }

  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.occurrence)) == toset(["ingest_storage_failures", "etl_failed", "raw_buffer_freshness"]) && toset(keys(aws_cloudwatch_metric_alarm.dlq_depth)) == toset(["parking"])
    error_message = "the essential set keeps storage failures, failed ETL runs, a stalled raw buffer and parked batches"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.health["api_5xx"].threshold == 1 && aws_cloudwatch_metric_alarm.health["data_freshness"].treat_missing_data == "breaching" && aws_cloudwatch_metric_alarm.health["warehouse_status_check"].treat_missing_data == "breaching"
    error_message = "5xx, freshness and the host's status checks alarm in every profile"
  }

  assert {
    condition     = !contains(keys(aws_cloudwatch_metric_alarm.health), "api_latency") && !contains(keys(aws_cloudwatch_metric_alarm.health), "etl_duration")
    error_message = "latency and duration alarms are left to the full set"
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.health) + length(aws_cloudwatch_metric_alarm.occurrence) + length(aws_cloudwatch_metric_alarm.dlq_depth) <= 10
    error_message = "the essential set stays within CloudWatch's ten free alarms"
  }
}

run "shared_stack_key" {
  command = plan

  variables {
    create_kms_key = false
    kms_key_arn    = "arn:aws:kms:eu-west-1:123456789012:key/stack"
  }

  assert {
    condition     = length(aws_kms_key.this) == 0 && aws_sns_topic.this.kms_master_key_id == "arn:aws:kms:eu-west-1:123456789012:key/stack"
    error_message = "with a stack key the module creates no key of its own"
  }
}

run "no_chat_channel_by_default" {
  command = plan

  assert {
    condition     = length(aws_chatbot_slack_channel_configuration.this) == 0 && length(aws_iam_role.chatbot) == 0 && length(aws_iam_policy.chatbot_guardrail) == 0
    error_message = "without Slack IDs there is no chat channel and no role for one"
  }
}

run "slack_channel_through_chatbot" {
  command = apply

  variables {
    slack_team_id    = "T07EA123LEP"
    slack_channel_id = "C07EZ1ABC23"
  }

  override_resource {
    target = aws_sns_topic.this
    values = {
      arn = "arn:aws:sns:us-east-1:000000000000:clickstream-prod-alerts"
    }
  }

  override_resource {
    target = aws_iam_policy.chatbot_guardrail
    values = {
      arn = "arn:aws:iam::000000000000:policy/clickstream-prod-chatbot-guardrail"
    }
  }

  assert {
    condition     = aws_chatbot_slack_channel_configuration.this[0].sns_topic_arns == toset(["arn:aws:sns:us-east-1:000000000000:clickstream-prod-alerts"]) && aws_chatbot_slack_channel_configuration.this[0].slack_channel_id == "C07EZ1ABC23" && aws_chatbot_slack_channel_configuration.this[0].slack_team_id == "T07EA123LEP"
    error_message = "the channel must be subscribed to the alert topic"
  }

  assert {
    condition     = aws_chatbot_slack_channel_configuration.this[0].guardrail_policy_arns == tolist(["arn:aws:iam::000000000000:policy/clickstream-prod-chatbot-guardrail"]) && aws_chatbot_slack_channel_configuration.this[0].user_authorization_required
    error_message = "the channel's guardrail must be the read-alarms policy (never the AdministratorAccess default), and commands need each user's own role"
  }

  assert {
    condition     = aws_iam_role_policy_attachment.chatbot[0].policy_arn == aws_iam_policy.chatbot_guardrail[0].arn && aws_chatbot_slack_channel_configuration.this[0].iam_role_arn == aws_iam_role.chatbot[0].arn
    error_message = "the channel role holds the same read-alarms policy and nothing else"
  }

  assert {
    condition     = output.chatbot_slack_channel_configuration_arn == aws_chatbot_slack_channel_configuration.this[0].chat_configuration_arn
    error_message = "the configuration's ARN must be an output"
  }
}

run "slack_ids_come_together" {
  command = plan

  variables {
    slack_channel_id = "C07EZ1ABC23"
  }

  expect_failures = [var.slack_channel_id]
}
