output "cloudfront_distribution_id" {
  description = "ID of the distribution (for cache invalidations after a site deploy)."
  value       = aws_cloudfront_distribution.this.id
}

output "cloudfront_distribution_domain_name" {
  description = "*.cloudfront.net name of the distribution (CNAME/alias target of the store's domain)."
  value       = aws_cloudfront_distribution.this.domain_name
}

output "cloudfront_distribution_hosted_zone_id" {
  description = "Route 53 zone ID for alias records to the distribution."
  value       = aws_cloudfront_distribution.this.hosted_zone_id
}

output "s3_bucket_id" {
  description = "Name of the private site bucket (upload the store's build here)."
  value       = aws_s3_bucket.this.id
}

output "events_url" {
  description = "First-party URL the SDK posts to."
  value       = "https://${local.custom_domain ? var.domain_names[0] : aws_cloudfront_distribution.this.domain_name}/v1/events"
}
