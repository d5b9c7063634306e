output "cloudfront_distribution_id" {
  description = "ID of the dashboard distribution."
  value       = aws_cloudfront_distribution.this.id
}

output "cloudfront_distribution_domain_name" {
  description = "CloudFront name to point the dashboard's DNS at (when Route 53 is not managed here)."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "cloudfront_vpc_origin_id" {
  description = "ID of the VPC origin (the warehouse host)."
  value       = aws_cloudfront_vpc_origin.this.id
}

output "cloudfront_vpc_origin_arn" {
  description = "ARN of the VPC origin."
  value       = aws_cloudfront_vpc_origin.this.arn
}

output "dashboard_url" {
  description = "URL of the admin-only dashboard."
  value       = "https://${var.domain_name}/"
}
