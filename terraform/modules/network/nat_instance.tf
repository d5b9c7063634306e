# private_egress = "nat_instance" (both deployment profiles): a t4g.nano NAT instance in
# an Auto Scaling group of one. About 7 USD/month (instance, its public IPv4 address,
# an 8 GiB root volume) against 37 for a NAT gateway and its address.
#
# Self-healing: the group replaces an instance whose EC2 status checks fail, and every
# instance, at boot, turns off its own source/destination check and points the private
# route table's default route at itself (create-route or replace-route). Terraform does
# not manage that one route: its target changes with every replacement. While a
# replacement boots (about two minutes) private egress is down: package installs and
# the ETL's SSM/SNS calls fail and are retried by the next hourly run; S3 keeps working
# through the gateway endpoint, so no event is at risk.

data "aws_ssm_parameter" "nat_ami" {
  count = local.use_nat_instance ? 1 : 0

  # Amazon Linux 2023 for arm64, as AWS publishes it; a new image is picked up by the
  # next instance the group launches.
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
}

resource "aws_security_group" "nat" {
  #checkov:skip=CKV2_AWS_5:Attached to the NAT instances through the launch template below; checkov does not follow it.
  count = local.use_nat_instance ? 1 : 0

  name        = "${var.name}-nat"
  description = "NAT instance: HTTP(S) from the private subnets, HTTP(S) out to the internet."
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-nat" })
}

resource "aws_vpc_security_group_ingress_rule" "nat_from_private" {
  for_each = local.use_nat_instance ? { for p in [80, 443] : tostring(p) => p } : {}

  security_group_id = aws_security_group.nat[0].id
  description       = "Port ${each.value} from the private subnets (Debian and CRAN mirrors, AWS APIs)"
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_ipv4         = var.cidr_block
  tags              = var.tags
}

resource "aws_vpc_security_group_egress_rule" "nat_to_internet" {
  for_each = local.use_nat_instance ? { for p in [80, 443] : tostring(p) => p } : {}

  security_group_id = aws_security_group.nat[0].id
  description       = "Port ${each.value} to the internet"
  ip_protocol       = "tcp"
  from_port         = each.value
  to_port           = each.value
  cidr_ipv4         = "0.0.0.0/0"
  tags              = var.tags
}

data "aws_iam_policy_document" "nat_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

# The two calls an instance makes about itself at boot, and nothing else.
data "aws_iam_policy_document" "nat_self_configure" {
  statement {
    sid       = "OwnSourceDestCheck"
    actions   = ["ec2:ModifyInstanceAttribute"]
    resources = ["arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:instance/*"]
    condition {
      test     = "StringEquals"
      variable = "ec2:ResourceTag/Role"
      values   = ["${var.name}-nat"]
    }
  }

  statement {
    sid       = "PrivateDefaultRoute"
    actions   = ["ec2:CreateRoute", "ec2:ReplaceRoute"]
    resources = ["arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:route-table/${aws_route_table.private.id}"]
  }
}

resource "aws_iam_role" "nat" {
  count = local.use_nat_instance ? 1 : 0

  name               = "${var.name}-nat"
  assume_role_policy = data.aws_iam_policy_document.nat_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "nat_self_configure" {
  count = local.use_nat_instance ? 1 : 0

  name   = "self-configure"
  role   = aws_iam_role.nat[0].id
  policy = data.aws_iam_policy_document.nat_self_configure.json
}

resource "aws_iam_instance_profile" "nat" {
  count = local.use_nat_instance ? 1 : 0

  name = "${var.name}-nat"
  role = aws_iam_role.nat[0].name
  tags = var.tags
}

resource "aws_launch_template" "nat" {
  #checkov:skip=CKV_AWS_88:A NAT instance needs a public address to reach the internet for the private subnets; it accepts traffic from inside the VPC only.
  count = local.use_nat_instance ? 1 : 0

  name_prefix   = "${var.name}-nat-"
  description   = "NAT instance for the private subnets of ${var.name}."
  image_id      = data.aws_ssm_parameter.nat_ami[0].value
  instance_type = var.nat_instance_type
  user_data = base64encode(templatefile("${path.module}/nat_user_data.sh.tftpl", {
    route_table_id = aws_route_table.private.id
    vpc_cidr       = var.cidr_block
  }))

  iam_instance_profile {
    arn = aws_iam_instance_profile.nat[0].arn
  }

  # The one public address of the stack besides CloudFront's: NAT needs it.
  network_interfaces {
    associate_public_ip_address = true
    security_groups             = [aws_security_group.nat[0].id]
    delete_on_termination       = true
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_type           = "gp3"
      volume_size           = 8
      encrypted             = true
      delete_on_termination = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = "${var.name}-nat", Role = "${var.name}-nat" })
  }

  tags = var.tags
}

resource "aws_autoscaling_group" "nat" {
  #checkov:skip=CKV_AWS_315:The group uses the launch template above; checkov misreads the counted reference.
  #checkov:skip=CKV_AWS_153:Tags reach the instances through the launch template's tag_specifications.
  #checkov:skip=CKV2_AWS_15:A NAT instance serves no load balancer; EC2 status checks decide its health.
  count = local.use_nat_instance ? 1 : 0

  name                      = "${var.name}-nat"
  min_size                  = 1
  max_size                  = 1
  desired_capacity          = 1
  vpc_zone_identifier       = [aws_subnet.public[0].id]
  health_check_type         = "EC2"
  health_check_grace_period = 120

  launch_template {
    id      = aws_launch_template.nat[0].id
    version = aws_launch_template.nat[0].latest_version
  }

  # A new launch template version (new AMI, new type) rolls the instance.
  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = 0
    }
  }

  tag {
    key                 = "Name"
    value               = "${var.name}-nat"
    propagate_at_launch = false
  }

  depends_on = [aws_internet_gateway.this]
}
