output "wafv2_web_acl_arn" {
  description = "ARN of the CloudFront web ACL."
  value       = aws_wafv2_web_acl.this.arn
}

output "wafv2_web_acl_name" {
  description = "Name of the web ACL (CloudWatch dimension WebACL)."
  value       = aws_wafv2_web_acl.this.name
}
