mock_provider "aws" {
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

variables {
  package_path        = "tests/fixtures/missing.zip"
  config_path         = "tests/fixtures/prod.config.json"
  user_pool_id        = "eu-west-1_prodpool"
  user_pool_client_id = "prodclient"
}

run "viewer_request_function_published_in_its_limits" {
  command = plan

  assert {
    condition     = aws_lambda_function.this.publish && aws_lambda_function.this.timeout <= 5 && aws_lambda_function.this.architectures == tolist(["x86_64"])
    error_message = "Lambda@Edge needs a published x86_64 version with a viewer-request timeout of at most 5 s"
  }

  assert {
    condition     = aws_lambda_function.this.runtime == "nodejs20.x" && aws_lambda_function.this.handler == "index.handler"
    error_message = "the bundle's entry point is index.handler on Node 20"
  }
}

run "bundle_for_another_pool_is_refused" {
  command = plan

  variables {
    user_pool_id = "eu-west-1_devpool"
  }

  expect_failures = [aws_lambda_function.this]
}

run "fail_closed_placeholder_is_accepted" {
  command = plan

  variables {
    config_path = "tests/fixtures/placeholder.config.json"
  }

  assert {
    condition     = aws_lambda_function.this.function_name == "clickstream-prod-edge-auth"
    error_message = "a bundle built before the pool existed deploys (and answers 503)"
  }
}
