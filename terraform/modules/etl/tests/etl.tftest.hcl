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
    condition     = length(aws_lambda_function.etl.vpc_config) == 1 && length(aws_lambda_function.compact.vpc_config) == 0
    error_message = "the ETL runs in the VPC (PostgreSQL); the compactor does not need to"
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
