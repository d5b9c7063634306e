# Generated secrets, never in state: each value comes from an ephemeral random
# password (opened during apply, never persisted) and is written through the
# parameter's write-only value_wo argument. State only records value_wo_version.
# SecureStrings use the account's aws/ssm key: free, and every reader is already
# limited by IAM to its own parameter ARNs.

locals {
  # Role names of clickstream.etl.roles; the warehouse playbook creates them with these passwords.
  role_passwords = {
    owner  = "clickstream_owner"
    etl    = "clickstream_etl"
    reader = "clickstream_reader"
  }
}

ephemeral "aws_secretsmanager_random_password" "db" {
  for_each = local.role_passwords

  password_length     = 40
  exclude_punctuation = true # keeps the DSN free of URL escaping
}

ephemeral "aws_secretsmanager_random_password" "pii_hash_key" {
  password_length     = 64
  exclude_punctuation = true
}

ephemeral "aws_secretsmanager_random_password" "site_key" {
  password_length     = 40
  exclude_punctuation = true
}

resource "aws_ssm_parameter" "db_password" {
  #checkov:skip=CKV_AWS_337:The free aws/ssm key suffices: each reader is limited by IAM to its own parameter ARNs, which a CMK would only duplicate at 1 USD/month.
  for_each = local.role_passwords

  name             = "${var.parameter_prefix}/warehouse/${each.key}_password"
  description      = "Password of PostgreSQL role ${each.value}."
  type             = "SecureString"
  value_wo         = ephemeral.aws_secretsmanager_random_password.db[each.key].random_password
  value_wo_version = var.secrets_version
  tags             = var.tags
}

# The ETL's DSN (DATABASE_URL_PARAM), built from the same ephemeral password as the
# etl_password parameter in the same apply, so the two always agree.
resource "aws_ssm_parameter" "database_url" {
  #checkov:skip=CKV_AWS_337:The free aws/ssm key suffices: each reader is limited by IAM to this parameter's ARN.
  name             = "${var.parameter_prefix}/etl/database_url"
  description      = "libpq DSN the ETL Lambda connects with (role clickstream_etl)."
  type             = "SecureString"
  value_wo         = "postgresql://${local.role_passwords.etl}:${ephemeral.aws_secretsmanager_random_password.db["etl"].random_password}@${var.database_host}:${var.database_port}/${var.database_name}?sslmode=${var.database_sslmode}"
  value_wo_version = var.secrets_version
  tags             = var.tags
}

# Keyed-hash key for anonymous_id / user_id (PII_HASH_KEY_PARAM). Rotating it breaks
# the link between old and new hashed ids, so it has its own lifecycle: it is only
# written once and never rotated by secrets_version.
resource "aws_ssm_parameter" "pii_hash_key" {
  #checkov:skip=CKV_AWS_337:The free aws/ssm key suffices: each reader is limited by IAM to this parameter's ARN.
  name             = "${var.parameter_prefix}/ingest/pii_hash_key"
  description      = "HMAC-SHA256 key for identifiers in raw events."
  type             = "SecureString"
  value_wo         = ephemeral.aws_secretsmanager_random_password.pii_hash_key.random_password
  value_wo_version = 1
  tags             = var.tags
}

# Comma-separated site keys (SITE_KEYS_PARAM). The first one is generated; add more
# (or rotate) with `aws ssm put-parameter --overwrite` as docs/deploy.md shows:
# Terraform never reads the value back, so it does not fight the operator.
resource "aws_ssm_parameter" "site_keys" {
  #checkov:skip=CKV_AWS_337:The free aws/ssm key suffices: each reader is limited by IAM to this parameter's ARN.
  name             = "${var.parameter_prefix}/ingest/site_keys"
  description      = "Comma-separated site keys the ingest accepts from anonymous shoppers."
  type             = "SecureString"
  value_wo         = ephemeral.aws_secretsmanager_random_password.site_key.random_password
  value_wo_version = 1
  tags             = var.tags
}

# Origin verification (x-origin-verify): CloudFront adds this value to every request it
# forwards to the ingest API, and the ingest (ORIGIN_VERIFY_PARAM) answers 403 to any
# request without it, so the API's public execute-api endpoint cannot be used to go
# around CloudFront and the WAF. Unlike the secrets above, this value must be known to
# Terraform, because CloudFront's distribution configuration holds it in plain text:
# it is therefore in state (and readable with cloudfront:GetDistributionConfig). It is
# generated once; the data source draws a new candidate on every plan, which
# ignore_changes discards. Rotate by replacing this resource (terraform apply -replace),
# as docs/deploy.md, "Origin verification", shows.
data "aws_secretsmanager_random_password" "origin_verify" {
  password_length     = 48
  exclude_punctuation = true
}

resource "aws_ssm_parameter" "origin_verify" {
  #checkov:skip=CKV_AWS_337:The free aws/ssm key suffices: the ingest role is limited by IAM to this parameter's ARN, and the value also sits in CloudFront's configuration.
  name        = "${var.parameter_prefix}/edge/origin_verify"
  description = "Value of the x-origin-verify header CloudFront adds to requests for the ingest API."
  type        = "SecureString"
  value       = data.aws_secretsmanager_random_password.origin_verify.random_password
  tags        = var.tags

  lifecycle {
    ignore_changes = [value]
  }
}
