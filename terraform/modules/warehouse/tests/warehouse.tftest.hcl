mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_subnet" {
    defaults = {
      availability_zone = "eu-west-1a"
    }
  }

  # Policy documents are rendered by the provider; the mock's random string is not JSON.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }
}

# The wiring inputs modules/platform passes from other modules (required: no defaults).
variables {
  subnet_id            = "subnet-00000000000000001"
  private_ip           = "10.40.128.10"
  security_group_ids   = ["sg-00000000000000001"]
  access_log_bucket_id = "clickstream-prod-access-logs-000000000000"
}

run "host_role_reads_no_ssm_parameter" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for document in [data.aws_iam_policy_document.ssm_agent, data.aws_iam_policy_document.cloudwatch_agent, data.aws_iam_policy_document.backups] : [
        for statement in document.statement : [
          for action in statement.actions : !can(regex("^ssm:(\\*|GetParameter|GetParametersByPath)", action))
        ]
      ]
    ]))
    error_message = "the warehouse host must not read SSM parameters (the PII key and site keys live there)"
  }

  assert {
    condition = alltrue(flatten([
      for document in [data.aws_iam_policy_document.ssm_agent, data.aws_iam_policy_document.cloudwatch_agent, data.aws_iam_policy_document.backups] : [
        for statement in document.statement : [for action in statement.actions : !endswith(action, ":*") && action != "*"]
      ]
    ]))
    error_message = "the host role lists its actions one by one"
  }

  assert {
    condition     = contains(data.aws_iam_policy_document.backups.statement[1].actions, "s3:DeleteObject")
    error_message = "pgBackRest expires its own backups: it needs delete on the repository"
  }
}

run "backup_bucket_leaves_expiry_to_pgbackrest" {
  command = plan

  assert {
    condition     = length(aws_s3_bucket_lifecycle_configuration.backups.rule[0].expiration) == 0
    error_message = "a bucket rule expiring current objects would delete files pgBackRest backups still need"
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.backups.rule[0].noncurrent_version_expiration[0].noncurrent_days == 7
    error_message = "what pgBackRest deletes stays a week as noncurrent versions"
  }
}

run "ssm_transfer_bucket_is_transient" {
  command = plan

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.ssm_transfer.rule[0].expiration[0].days == 1
    error_message = "Ansible's transfer files (which can hold secrets) must expire within a day"
  }

  assert {
    condition     = aws_s3_bucket.ssm_transfer.bucket == "clickstream-prod-ssm-transfer-123456789012"
    error_message = "transfer bucket name is <name>-ssm-transfer-<account>"
  }
}

run "debian_gets_the_ssm_agent_at_first_boot" {
  command = plan

  assert {
    condition     = strcontains(aws_instance.this.user_data, "amazon-ssm-eu-west-1/latest/debian_arm64/amazon-ssm-agent.deb")
    error_message = "Debian AMIs lack the SSM agent: user data must install the arm64 package from the region's bucket"
  }
}
