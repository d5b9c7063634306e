# The store's admins only, apart from the shoppers' pool (modules/auth), where anyone
# can sign up: a token of that pool must never open the dashboard, and here nobody can
# create an account but an operator.

data "aws_region" "current" {}

resource "aws_cognito_user_pool" "this" {
  name                     = "${var.name}-admins"
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]
  deletion_protection      = var.deletion_protection ? "ACTIVE" : "INACTIVE"
  mfa_configuration        = var.mfa_configuration

  # No self sign-up: accounts come from admin_emails (below) or
  # `aws cognito-idp admin-create-user` (docs/deploy.md, "Dashboard admins").
  admin_create_user_config {
    allow_admin_create_user_only = true

    invite_message_template {
      email_subject = "Your ${var.name} analytics dashboard account"
      email_message = "Sign in to the dashboard as {username} with the temporary password {####}; you will choose your own and may add an authenticator app."
      sms_message   = "Dashboard user {username}, temporary password {####}"
    }
  }

  password_policy {
    minimum_length                   = var.password_minimum_length
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = false # length beats symbol rules (NIST SP 800-63B)
    temporary_password_validity_days = 3
    password_history_size            = 0
  }

  # TOTP (an authenticator app): no SMS, which would need an SNS spending limit.
  software_token_mfa_configuration {
    enabled = true
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  username_configuration {
    case_sensitive = false
  }

  tags = var.tags
}

resource "aws_cognito_user_pool_domain" "this" {
  domain       = var.domain_prefix
  user_pool_id = aws_cognito_user_pool.this.id
}

# The Lambda@Edge sign-in (lambdas/edge-auth, cognito-at-edge) exchanges the code for
# tokens at the edge. No secret: Lambda@Edge has no secret store, and a secret baked
# into the bundle would be readable by anyone who can download the function.
resource "aws_cognito_user_pool_client" "edge" {
  name                          = "${var.name}-dashboard-edge"
  user_pool_id                  = aws_cognito_user_pool.this.id
  generate_secret               = false
  explicit_auth_flows           = ["ALLOW_REFRESH_TOKEN_AUTH"]
  prevent_user_existence_errors = "ENABLED"
  enable_token_revocation       = true

  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = ["openid", "email"]
  supported_identity_providers         = ["COGNITO"]
  # cognito-at-edge's redirect_uri is https://<Host> without a path.
  callback_urls = ["https://${var.dashboard_domain}"]
  logout_urls   = ["https://${var.dashboard_domain}"]

  id_token_validity      = 60
  access_token_validity  = 60
  refresh_token_validity = var.session_days
  token_validity_units {
    id_token      = "minutes"
    access_token  = "minutes"
    refresh_token = "days"
  }
}

# Admins named in Terraform get an invitation mail with a temporary password. Removing
# an address here deletes that admin.
resource "aws_cognito_user" "admins" {
  for_each = toset(var.admin_emails)

  user_pool_id             = aws_cognito_user_pool.this.id
  username                 = each.key
  desired_delivery_mediums = ["EMAIL"]

  attributes = {
    email          = each.key
    email_verified = "true"
  }

  lifecycle {
    # Cognito owns these after creation (the admin sets a password, may add MFA).
    ignore_changes = [attributes["email_verified"], temporary_password]
  }
}
