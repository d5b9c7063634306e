output "user_pool_id" {
  description = "ID of the admin-only user pool."
  value       = aws_cognito_user_pool.this.id
}

output "user_pool_arn" {
  description = "ARN of the admin-only user pool."
  value       = aws_cognito_user_pool.this.arn
}

output "user_pool_client_edge_id" {
  description = "App client the Lambda@Edge sign-in uses (userPoolAppId of cognito-at-edge)."
  value       = aws_cognito_user_pool_client.edge.id
}

output "user_pool_domain" {
  description = "Full hosted sign-in domain (<prefix>.auth.<region>.amazoncognito.com)."
  value       = "${aws_cognito_user_pool_domain.this.domain}.auth.${data.aws_region.current.name}.amazoncognito.com"
}

output "edge_auth_config" {
  description = "What lambdas/edge-auth bakes into its bundle (Lambda@Edge has no environment variables)."
  value = {
    region         = data.aws_region.current.name
    userPoolId     = aws_cognito_user_pool.this.id
    userPoolAppId  = aws_cognito_user_pool_client.edge.id
    userPoolDomain = "${aws_cognito_user_pool_domain.this.domain}.auth.${data.aws_region.current.name}.amazoncognito.com"
  }
}
