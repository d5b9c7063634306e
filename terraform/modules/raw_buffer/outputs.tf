output "delivery_stream_name" {
  description = "Name of the Firehose stream (the ingest's DELIVERY_STREAM_NAME)."
  value       = aws_kinesis_firehose_delivery_stream.this.name
}

output "delivery_stream_arn" {
  description = "ARN of the Firehose stream (the ingest's firehose:PutRecordBatch resource)."
  value       = aws_kinesis_firehose_delivery_stream.this.arn
}

output "iam_role_arn" {
  description = "Firehose's delivery role."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "CloudWatch log group of delivery errors."
  value       = aws_cloudwatch_log_group.this.name
}
