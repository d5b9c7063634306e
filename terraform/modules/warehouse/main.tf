data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_subnet" "this" {
  id = var.subnet_id
}

data "aws_region" "current" {}

locals {
  # Official publishers' accounts: Debian (136693071363) and Canonical (099720109477).
  ami_filters = {
    "debian-12"    = { owner = "136693071363", name = "debian-12-arm64-*" }
    "ubuntu-24.04" = { owner = "099720109477", name = "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-arm64-server-*" }
  }
  snapshot_tag = "${var.name}-warehouse"

  os_is_debian = var.os == "debian-12"
  # The agent's package from the region's own SSM bucket (reached through the S3
  # gateway endpoint or the NAT).
  ssm_agent_user_data = <<-EOT
    #!/bin/sh
    set -eu
    if [ ! -x /usr/bin/amazon-ssm-agent ]; then
      curl -fsSL -o /tmp/amazon-ssm-agent.deb \
        "https://s3.${data.aws_region.current.name}.amazonaws.com/amazon-ssm-${data.aws_region.current.name}/latest/debian_arm64/amazon-ssm-agent.deb"
      dpkg -i /tmp/amazon-ssm-agent.deb
      rm -f /tmp/amazon-ssm-agent.deb
      systemctl enable --now amazon-ssm-agent
    fi
  EOT

  # One log group per file the CloudWatch agent ships (ansible/roles/common defaults).
  log_group_prefix = "/${var.name}/warehouse"
  host_log_names   = ["system", "postgresql", "nginx", "shiny"]

  kms_key_arn = var.create_kms_key ? aws_kms_key.this[0].arn : var.kms_key_arn
}

data "aws_ami" "this" {
  most_recent = true
  owners      = [local.ami_filters[var.os].owner]

  filter {
    name   = "name"
    values = [local.ami_filters[var.os].name]
  }

  filter {
    name   = "architecture"
    values = ["arm64"]
  }

  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }
}

# One key for the host's volumes, its snapshots and the backup bucket, unless the
# stack passes its one key (kms_key_arn, the lean profile).
resource "aws_kms_key" "this" {
  count = var.create_kms_key ? 1 : 0

  description             = "Encrypts the ${var.name} warehouse volumes, snapshots and backups."
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  count = var.create_kms_key ? 1 : 0

  name          = "alias/${var.name}-warehouse"
  target_key_id = aws_kms_key.this[0].key_id
}

moved {
  from = aws_kms_key.this
  to   = aws_kms_key.this[0]
}

moved {
  from = aws_kms_alias.this
  to   = aws_kms_alias.this[0]
}

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:A key policy's "*" resource means this key only; administration stays with the account root as AWS recommends.
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource means this key only.
  #checkov:skip=CKV_AWS_356:A key policy's "*" resource means this key only.
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  # EC2 (attaching encrypted volumes) and DLM (snapshots) use the key through grants.
  statement {
    sid       = "AllowEbsThroughEc2"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_instance" "this" {
  #checkov:skip=CKV_AWS_126:Detailed (1-minute) monitoring costs more than the instance's own margin; 5-minute metrics suffice for a batch warehouse.
  ami                         = data.aws_ami.this.id
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_id
  private_ip                  = var.private_ip
  vpc_security_group_ids      = var.security_group_ids
  iam_instance_profile        = aws_iam_instance_profile.this.name
  associate_public_ip_address = false
  ebs_optimized               = true
  monitoring                  = false

  # Debian's AMIs come without the SSM agent, the only way in: install it at first
  # boot (Ubuntu's AMIs ship it as a snap). Ansible's common role keeps it current.
  user_data = local.os_is_debian ? local.ssm_agent_user_data : null

  # IMDSv2 only, and one hop so containers or proxies on the host cannot reach it.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_size_gb
    encrypted             = true
    kms_key_id            = local.kms_key_arn
    delete_on_termination = true
    tags                  = merge(var.tags, { Name = "${var.name}-warehouse-root", Snapshot = local.snapshot_tag })
  }

  tags = merge(var.tags, { Name = "${var.name}-warehouse", Role = "warehouse" })

  lifecycle {
    # A newer AMI must not replace the database host on the next apply; rebuilds are
    # deliberate (terraform apply -replace=...), see docs/deploy.md.
    ignore_changes = [ami]
  }
}

# The PostgreSQL data directory lives on its own volume so that replacing the
# instance (new AMI, new type) keeps the data; Ansible formats and mounts it.
resource "aws_ebs_volume" "data" {
  availability_zone = data.aws_subnet.this.availability_zone
  type              = "gp3"
  size              = var.data_volume_size_gb
  encrypted         = true
  kms_key_id        = local.kms_key_arn
  tags              = merge(var.tags, { Name = "${var.name}-warehouse-data", Snapshot = local.snapshot_tag })
}

resource "aws_volume_attachment" "data" {
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.data.id
  instance_id = aws_instance.this.id
}
