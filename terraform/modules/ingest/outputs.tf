output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "api_endpoint" {
  description = "Default endpoint of the HTTP API (https://<id>.execute-api.<region>.amazonaws.com); CloudFront's /v1/* origin."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "api_domain_name" {
  description = "Host name of the HTTP API's default endpoint, without scheme."
  value       = replace(aws_apigatewayv2_api.this.api_endpoint, "https://", "")
}

output "route_key" {
  description = "Route key of the ingest route."
  value       = aws_apigatewayv2_route.this.route_key
}

output "stage_name" {
  description = "Name of the API stage."
  value       = aws_apigatewayv2_stage.this.name
}

output "lambda_function_name" {
  description = "Name of the ingest function."
  value       = aws_lambda_function.this.function_name
}

output "lambda_function_arn" {
  description = "ARN of the ingest function."
  value       = aws_lambda_function.this.arn
}

output "sqs_queue_dlq_url" {
  description = "URL of the ingest dead-letter queue of rejected events (DLQ_URL)."
  value       = aws_sqs_queue.dlq.url
}

output "sqs_queue_dlq_arn" {
  description = "ARN of the ingest dead-letter queue."
  value       = aws_sqs_queue.dlq.arn
}

output "sqs_queue_dlq_name" {
  description = "Name of the ingest dead-letter queue (alarm dimension)."
  value       = aws_sqs_queue.dlq.name
}

output "sqs_queue_parking_url" {
  description = "URL of the queue of batches parked because S3 failed (PARKING_QUEUE_URL; `clickstream dlq replay` reads it)."
  value       = aws_sqs_queue.parking.url
}

output "sqs_queue_parking_arn" {
  description = "ARN of the parking queue."
  value       = aws_sqs_queue.parking.arn
}

output "sqs_queue_parking_name" {
  description = "Name of the parking queue (alarm dimension)."
  value       = aws_sqs_queue.parking.name
}

output "iam_role_arn" {
  description = "ARN of the ingest function's role."
  value       = aws_iam_role.this.arn
}
