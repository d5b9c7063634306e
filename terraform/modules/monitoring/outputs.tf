output "sns_topic_arn" {
  description = "ARN of the alert topic (the ETL's SNS_TOPIC_ARN)."
  value       = aws_sns_topic.this.arn
}

output "cloudwatch_dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_names" {
  description = "Names of every alarm this module creates."
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.health : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.occurrence : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.dlq_depth : a.alarm_name],
  )
}

output "budgets_budget_name" {
  description = "Name of the monthly cost budget."
  value       = aws_budgets_budget.this.name
}

output "kms_key_arn" {
  description = "KMS key of the alert topic: whoever publishes to the topic needs kms:GenerateDataKey on it."
  value       = local.kms_key_arn
}

output "chatbot_slack_channel_configuration_arn" {
  description = "ARN of the AWS Chatbot Slack channel configuration that posts the alert topic (null without slack_channel_id and slack_team_id)."
  value       = one(aws_chatbot_slack_channel_configuration.this[*].chat_configuration_arn)
}
