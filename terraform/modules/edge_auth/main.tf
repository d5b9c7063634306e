# The Lambda@Edge sign-in of the dashboard (lambdas/edge-auth). CloudFront runs only
# functions from us-east-1, so the env root calls this module with its us-east-1
# provider (like edge_waf).
#
# Lambda@Edge has no environment variables: the build (`make edge-package ENV=<env>`)
# bakes the admin pool's ids into the bundle from `terraform output edge_auth_config`
# and writes the same values beside the zip (config_path). The precondition below
# refuses a bundle built for another pool, e.g. dev's pool in prod. A bundle built
# before the pool existed carries an empty config and answers every request with 503
# (fail closed) until the next `make plan && make apply`.

locals {
  function_name  = "${var.name}-edge-auth"
  bundled_config = fileexists(var.config_path) ? jsondecode(file(var.config_path)) : null
  bundled_pool   = local.bundled_config == null ? "" : try(local.bundled_config.userPoolId, "")
  bundled_client = local.bundled_config == null ? "" : try(local.bundled_config.userPoolAppId, "")
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com", "edgelambda.amazonaws.com"]
    }
  }
}

# Lambda@Edge writes its logs in the region that ran it, to /aws/lambda/us-east-1.<name>.
data "aws_iam_policy_document" "logs" {
  statement {
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:aws:logs:*:*:log-group:/aws/lambda/us-east-1.${local.function_name}:*"]
  }
}

resource "aws_iam_role" "this" {
  name               = local.function_name
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "logs" {
  name   = "write-logs"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.logs.json
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:Lambda@Edge functions cannot run in a VPC.
  #checkov:skip=CKV_AWS_116:Viewer-request functions are invoked synchronously by CloudFront; a DLQ never receives anything.
  #checkov:skip=CKV_AWS_173:Lambda@Edge has no environment variables at all; the non-secret pool ids are baked into the bundle.
  #checkov:skip=CKV_AWS_115:Lambda@Edge does not support reserved concurrency.
  #checkov:skip=CKV_AWS_50:Lambda@Edge does not support X-Ray active tracing.
  #checkov:skip=CKV_AWS_272:Code signing needs a Signer profile and a signed artifact pipeline; the bundle is built from the committed lock file.
  function_name    = local.function_name
  description      = "Admin-only Cognito sign-in in front of the ${var.name} dashboard (viewer request)."
  role             = aws_iam_role.this.arn
  runtime          = "nodejs20.x"
  architectures    = ["x86_64"] # Lambda@Edge runs x86_64 only
  handler          = "index.handler"
  filename         = var.package_path
  source_code_hash = fileexists(var.package_path) ? filebase64sha256(var.package_path) : null
  memory_size      = 128
  timeout          = 5 # the viewer-request maximum
  publish          = true

  tags = var.tags

  lifecycle {
    precondition {
      condition     = local.bundled_pool == "" || (local.bundled_pool == var.user_pool_id && local.bundled_client == var.user_pool_client_id)
      error_message = "The edge-auth bundle (${var.config_path}) was built for another user pool or client: run `make edge-package ENV=<env>` against this environment's state, then plan again."
    }
  }
}
