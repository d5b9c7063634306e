output "user_pool_id" {
  description = "ID of the Cognito user pool (COGNITO_USER_POOL_ID of the ingest Lambda)."
  value       = aws_cognito_user_pool.this.id
}

output "user_pool_arn" {
  description = "ARN of the shoppers' Cognito user pool."
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
