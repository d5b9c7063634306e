# The host's role: what the SSM agent needs to be reached (no SSH anywhere), what the
# CloudWatch agent needs to ship its logs and metrics, and pgBackRest's repository.
# Nothing else: not the raw bucket, and no SSM parameter at all. The managed
# AmazonSSMManagedInstanceCore policy is not used because it also grants
# ssm:GetParameter(s) on every parameter (the ingest PII key and site keys included);
# the database passwords are read by the operator's `make warehouse` on the controller.

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = "${var.name}-warehouse"
  assume_role_policy = data.aws_iam_policy_document.assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "ssm_agent" {
  #checkov:skip=CKV_AWS_111:The agent's registration and message APIs have no resource-level permissions (AWS documents "*" for them).
  #checkov:skip=CKV_AWS_356:The agent's registration and message APIs have no resource-level permissions (AWS documents "*" for them).
  # AmazonSSMManagedInstanceCore minus ssm:GetParameter(s): Session Manager
  # (ssmmessages), Run Command (ec2messages) and the agent's own bookkeeping.
  statement {
    sid = "SsmAgentCore"
    actions = [
      "ssm:DescribeAssociation",
      "ssm:GetDeployablePatchSnapshotForInstance",
      "ssm:GetDocument",
      "ssm:DescribeDocument",
      "ssm:GetManifest",
      "ssm:ListAssociations",
      "ssm:ListInstanceAssociations",
      "ssm:PutInventory",
      "ssm:PutComplianceItems",
      "ssm:PutConfigurePackageResult",
      "ssm:UpdateAssociationStatus",
      "ssm:UpdateInstanceAssociationStatus",
      "ssm:UpdateInstanceInformation",
    ]
    resources = ["*"]
  }

  statement {
    sid = "SessionManagerChannels"
    actions = [
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]
    resources = ["*"]
  }

  statement {
    sid = "RunCommandMessages"
    actions = [
      "ec2messages:AcknowledgeMessage",
      "ec2messages:DeleteMessage",
      "ec2messages:FailMessage",
      "ec2messages:GetEndpoint",
      "ec2messages:GetMessages",
      "ec2messages:SendReply",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "ssm_agent" {
  name   = "ssm-agent"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.ssm_agent.json
}

data "aws_iam_policy_document" "cloudwatch_agent" {
  statement {
    sid       = "ShipHostLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = [for group in aws_cloudwatch_log_group.host : "${group.arn}:*"]
  }

  statement {
    sid       = "PublishHostMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metrics_namespace]
    }
  }
}

resource "aws_iam_role_policy" "cloudwatch_agent" {
  name   = "cloudwatch-agent"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.cloudwatch_agent.json
}

data "aws_iam_policy_document" "backups" {
  statement {
    sid       = "ListBackups"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.backups.arn]
  }

  # pgBackRest expires old backups and WAL itself (its retention settings), so it
  # needs delete; the bucket keeps deleted versions for a week (lifecycle).
  statement {
    sid       = "ReadWriteExpireBackups"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${aws_s3_bucket.backups.arn}/*"]
  }

  statement {
    sid       = "UseBackupKey"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [local.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "backups" {
  name   = "backups"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.backups.json
}

resource "aws_iam_instance_profile" "this" {
  name = "${var.name}-warehouse"
  role = aws_iam_role.this.name
  tags = var.tags
}
