mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  # Policy documents are rendered by the provider; the mock's random string is not JSON.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

# The wiring inputs modules/platform passes from other modules (required: no defaults).
variables {
  raw_bucket_id               = "clickstream-prod-raw-000000000000"
  read_raw_policy_arn         = "arn:aws:iam::000000000000:policy/clickstream-prod-raw-read"
  compact_raw_policy_arn      = "arn:aws:iam::000000000000:policy/clickstream-prod-raw-compact"
  database_url_parameter_name = "/clickstream/prod/etl/database_url"
  database_url_parameter_arn  = "arn:aws:ssm:us-east-1:000000000000:parameter/clickstream/prod/etl/database_url"
  sns_topic_arn               = "arn:aws:sns:us-east-1:000000000000:clickstream-prod-alerts"
  alerts_kms_key_arn          = "arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000"
  subnet_ids                  = ["subnet-00000000000000001", "subnet-00000000000000002"]
  security_group_ids          = ["sg-00000000000000001"]
}

run "hourly_by_default_with_retries_and_dlq" {
  command = plan

  assert {
    condition     = aws_scheduler_schedule.etl.schedule_expression == "rate(1 hour)"
    error_message = "production ETL cadence must default to rate(1 hour) (layout.ETL_SCHEDULE_EXPRESSION)"
  }

  assert {
    condition     = aws_scheduler_schedule.etl.target[0].retry_policy[0].maximum_retry_attempts == 3
    error_message = "the schedule must retry failed deliveries"
  }

  assert {
    condition     = length(aws_scheduler_schedule.etl.target[0].dead_letter_config) == 1
    error_message = "the schedule must park undeliverable invocations in its DLQ"
  }

  assert {
    condition     = aws_lambda_function.etl.reserved_concurrent_executions == 1
    error_message = "two ETL runs must never race on the watermark"
  }

  assert {
    condition     = aws_lambda_function.etl.environment[0].variables["ETL_TIME_BUDGET_SECONDS"] == "540"
    error_message = "the ETL must stop 60 s before its 600 s timeout"
  }

  assert {
    condition     = length(aws_lambda_function.etl.vpc_config) == 1
    error_message = "the ETL runs in the VPC (PostgreSQL)"
  }
}

# Issue 8, class 8: the compactor records every merge in the warehouse, so it needs the
# ETL's settings, network path and DSN, or every scheduled run fails.
run "compactor_reaches_the_warehouse_like_the_etl" {
  command = plan

  variables {
    subnet_ids                  = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
    security_group_ids          = ["sg-0bbbbbbbbbbbbbbb1"]
    database_url_parameter_name = "/clickstream/dev/etl/database_url"
    database_url_parameter_arn  = "arn:aws:ssm:eu-west-1:123456789012:parameter/clickstream/dev/etl/database_url"
    alerts_kms_key_arn          = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  }

  assert {
    condition     = length(aws_lambda_function.compact.vpc_config) == 1 && toset(aws_lambda_function.compact.vpc_config[0].subnet_ids) == toset(var.subnet_ids) && toset(aws_lambda_function.compact.vpc_config[0].security_group_ids) == toset(var.security_group_ids)
    error_message = "the compactor must run in the ETL's subnets with the ETL's security group (the one PostgreSQL admits)"
  }

  assert {
    condition     = aws_lambda_function.compact.vpc_config[0].subnet_ids == aws_lambda_function.etl.vpc_config[0].subnet_ids && aws_lambda_function.compact.vpc_config[0].security_group_ids == aws_lambda_function.etl.vpc_config[0].security_group_ids
    error_message = "compactor and ETL must share one network path to PostgreSQL"
  }

  assert {
    condition = alltrue([
      for k in ["RAW_BUCKET", "DATABASE_URL_PARAM", "SNS_TOPIC_ARN", "ETL_GRACE_HOURS"] :
      aws_lambda_function.compact.environment[0].variables[k] == aws_lambda_function.etl.environment[0].variables[k]
    ])
    error_message = "the compactor reads the ETL's settings under the same names and values"
  }

  assert {
    condition     = aws_lambda_function.compact.environment[0].variables["DATABASE_URL_PARAM"] == "/clickstream/dev/etl/database_url"
    error_message = "DATABASE_URL_PARAM must name the DSN parameter"
  }

  assert {
    condition     = tonumber(aws_lambda_function.compact.environment[0].variables["ETL_TIME_BUDGET_SECONDS"]) < aws_lambda_function.compact.timeout
    error_message = "the compactor must stop taking new hours before its timeout"
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.compact.statement :
      s.actions == toset(["ssm:GetParameter"]) && s.resources == toset([var.database_url_parameter_arn])
    ])
    error_message = "the compactor must read exactly the DSN parameter"
  }

  assert {
    condition     = length([for s in data.aws_iam_policy_document.compact.statement : s if anytrue([for a in s.actions : startswith(a, "ssm:") || a == "*"])]) == 1
    error_message = "the compactor may read no other SSM parameter"
  }

  assert {
    condition = anytrue([
      for s in data.aws_iam_policy_document.compact.statement :
      contains(s.actions, "kms:GenerateDataKey") && s.resources == toset([var.alerts_kms_key_arn])
    ]) && anytrue([for s in data.aws_iam_policy_document.etl.statement : contains(s.actions, "kms:GenerateDataKey") && s.resources == toset([var.alerts_kms_key_arn])])
    error_message = "publishing to the KMS-encrypted alert topic needs a data key from its key"
  }

  assert {
    condition     = aws_iam_role_policy_attachment.compact_vpc.role == aws_iam_role.compact.name
    error_message = "the compactor needs ENI permissions to join the VPC"
  }
}

run "compactor_runs_hourly" {
  command = plan

  assert {
    condition     = aws_scheduler_schedule.compact.schedule_expression == "cron(20 * * * ? *)"
    error_message = "the compactor must run every hour to keep up with hourly partitions"
  }

  assert {
    condition     = aws_scheduler_schedule.compact.flexible_time_window[0].maximum_window_in_minutes < 60
    error_message = "a flexible window of an hour or more could skip an hourly run"
  }
}

run "cadence_is_configurable" {
  command = plan

  variables {
    schedule_expression = "rate(15 minutes)"
  }

  assert {
    condition     = aws_scheduler_schedule.etl.schedule_expression == "rate(15 minutes)"
    error_message = "schedule_expression must reach the schedule"
  }
}

run "malformed_rate_is_refused" {
  command = plan

  variables {
    schedule_expression = "rate(5 minute)"
  }

  expect_failures = [var.schedule_expression]
}

run "five_field_cron_is_refused" {
  command = plan

  variables {
    schedule_expression = "cron(0 * * * *)"
  }

  expect_failures = [var.schedule_expression]
}
