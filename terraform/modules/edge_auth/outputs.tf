output "lambda_function_qualified_arn" {
  description = "Published version ARN CloudFront associates (Lambda@Edge needs a numbered version)."
  value       = aws_lambda_function.this.qualified_arn
}

output "lambda_function_name" {
  description = "Name of the edge function (its logs: /aws/lambda/us-east-1.<name> in the region that served the viewer)."
  value       = aws_lambda_function.this.function_name
}
