output "lb_dns_name" {
  description = "DNS name of the ALB (point the dashboard's CNAME/alias here when Route 53 is not managed by this stack)."
  value       = aws_lb.this.dns_name
}

output "lb_arn_suffix" {
  description = "ARN suffix of the ALB (CloudWatch dimension LoadBalancer)."
  value       = aws_lb.this.arn_suffix
}

output "lb_target_group_arn_suffix" {
  description = "ARN suffix of the target group (CloudWatch dimension TargetGroup)."
  value       = aws_lb_target_group.this.arn_suffix
}

output "acm_certificate_validation_records" {
  description = "DNS records to create for certificate validation when this module requested the certificate and route53_zone_id is empty."
  value = local.create_certificate && !local.validate_with_dns ? [
    for o in aws_acm_certificate.this[0].domain_validation_options : {
      name  = o.resource_record_name
      type  = o.resource_record_type
      value = o.resource_record_value
    }
  ] : []
}

output "dashboard_url" {
  description = "URL of the dashboard."
  value       = "https://${var.domain_name}/"
}
