output "user_pool_id" {
  description = "ID of the Cognito user pool (COGNITO_USER_POOL_ID of the ingest Lambda)."
  value       = aws_cognito_user_pool.this.id
}

output "user_pool_arn" {
  description = "ARN of the Cognito user pool (the ALB's authenticate-cognito action)."
  value       = aws_cognito_user_pool.this.arn
}

output "user_pool_endpoint" {
  description = "Issuer host/path of the pool (cognito-idp.<region>.amazonaws.com/<id>)."
  value       = aws_cognito_user_pool.this.endpoint
}

output "user_pool_domain" {
  description = "Cognito hosted domain prefix."
  value       = aws_cognito_user_pool_domain.this.domain
}

output "user_pool_client_site_id" {
  description = "Public app client of the store (COGNITO_CLIENT_ID of the ingest Lambda)."
  value       = aws_cognito_user_pool_client.site.id
}

output "user_pool_client_dashboard_id" {
  description = "Confidential app client the dashboard ALB authenticates with."
  value       = aws_cognito_user_pool_client.dashboard.id
}

output "user_group_admins_name" {
  description = "Name of the Cognito group allowed on the dashboard."
  value       = aws_cognito_user_group.admins.name
}
