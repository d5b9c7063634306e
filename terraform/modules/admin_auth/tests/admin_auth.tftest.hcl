mock_provider "aws" {
  override_data {
    target = data.aws_region.current
    values = {
      name = "eu-west-1"
    }
  }
}

run "admins_only_no_self_sign_up" {
  command = plan

  variables {
    admin_emails = ["owner@example.com"]
  }

  assert {
    condition     = aws_cognito_user_pool.this.admin_create_user_config[0].allow_admin_create_user_only == true
    error_message = "self sign-up must be off on the admin pool"
  }

  assert {
    condition     = contains(["OPTIONAL", "ON"], aws_cognito_user_pool.this.mfa_configuration) && aws_cognito_user_pool.this.software_token_mfa_configuration[0].enabled
    error_message = "TOTP MFA must be available to admins"
  }

  assert {
    condition     = keys(aws_cognito_user.admins) == ["owner@example.com"] && aws_cognito_user.admins["owner@example.com"].attributes["email"] == "owner@example.com"
    error_message = "admins listed in admin_emails are created"
  }

  assert {
    condition     = aws_cognito_user_pool_client.edge.generate_secret == false && aws_cognito_user_pool_client.edge.allowed_oauth_flows == toset(["code"])
    error_message = "the edge client is a code-flow client without a secret"
  }

  assert {
    condition     = aws_cognito_user_pool_client.edge.callback_urls == toset(["https://analytics.example.com"])
    error_message = "the callback is the dashboard host, as cognito-at-edge builds it"
  }
}

run "mfa_can_be_mandatory_but_never_off" {
  command = plan

  variables {
    mfa_configuration = "OFF"
  }

  expect_failures = [var.mfa_configuration]
}

run "mfa_on" {
  command = plan

  variables {
    mfa_configuration = "ON"
  }

  assert {
    condition     = aws_cognito_user_pool.this.mfa_configuration == "ON"
    error_message = "mfa_configuration must reach the pool"
  }
}
