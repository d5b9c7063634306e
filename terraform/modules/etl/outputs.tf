output "lambda_function_etl_name" {
  description = "Name of the ETL function."
  value       = aws_lambda_function.etl.function_name
}

output "lambda_function_etl_arn" {
  description = "ARN of the ETL function."
  value       = aws_lambda_function.etl.arn
}

output "lambda_function_compact_name" {
  description = "Name of the compactor function."
  value       = aws_lambda_function.compact.function_name
}

output "lambda_function_compact_arn" {
  description = "ARN of the compactor function."
  value       = aws_lambda_function.compact.arn
}

output "iam_role_compact_arn" {
  description = "ARN of the compactor function's role."
  value       = aws_iam_role.compact.arn
}

output "scheduler_schedule_compact_expression" {
  description = "Schedule expression the compactor runs on."
  value       = aws_scheduler_schedule.compact.schedule_expression
}

output "scheduler_schedule_etl_name" {
  description = "Name of the ETL schedule."
  value       = aws_scheduler_schedule.etl.name
}

output "scheduler_schedule_etl_expression" {
  description = "Schedule expression the ETL runs on."
  value       = aws_scheduler_schedule.etl.schedule_expression
}

output "scheduler_schedule_group_name" {
  description = "Schedule group of the ETL and compactor schedules (alarm dimension)."
  value       = aws_scheduler_schedule_group.this.name
}

output "sqs_queue_schedule_dlq_name" {
  description = "Name of the queue undeliverable or failed scheduled invocations land in."
  value       = aws_sqs_queue.schedule_dlq.name
}

output "sqs_queue_schedule_dlq_arn" {
  description = "ARN of the schedule dead-letter queue."
  value       = aws_sqs_queue.schedule_dlq.arn
}

output "iam_role_etl_arn" {
  description = "ARN of the ETL function's role."
  value       = aws_iam_role.etl.arn
}

output "timeout_seconds" {
  description = "ETL function timeout (the duration alarm's reference)."
  value       = var.timeout_seconds
}
