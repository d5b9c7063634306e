mock_provider "aws" {
  # Policy documents are rendered by the provider; the mock's random string is not JSON.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  override_data {
    target = data.aws_availability_zones.available
    values = {
      names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    }
  }

  override_data {
    target = data.aws_ec2_managed_prefix_list.cloudfront_origin_facing
    values = {
      id = "pl-3b927c52"
    }
  }

  override_data {
    target = data.aws_region.current
    values = {
      name = "eu-west-1"
    }
  }
}

run "postgres_only_from_etl_and_dashboard_groups" {
  command = plan

  assert {
    condition = alltrue([
      for r in [aws_vpc_security_group_ingress_rule.postgres_from_etl, aws_vpc_security_group_ingress_rule.postgres_from_dashboard] :
      r.from_port == 5432 && r.to_port == 5432 && r.cidr_ipv4 == null && r.cidr_ipv6 == null
    ])
    error_message = "PostgreSQL ingress must reference security groups only, never CIDRs"
  }

  assert {
    # Every CIDR-based ingress rule of the module: endpoint HTTPS and the NAT instance's
    # 80/443, both from inside the VPC only.
    condition = alltrue(concat(
      [for r in aws_vpc_security_group_ingress_rule.nat_from_private : r.cidr_ipv4 == "10.40.0.0/16"],
      [aws_vpc_security_group_ingress_rule.endpoints_https.cidr_ipv4 == "10.40.0.0/16"],
    ))
    error_message = "CIDR ingress may only come from inside the VPC"
  }
}

run "dashboard_only_from_cloudfront" {
  command = plan

  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.dashboard_from_cloudfront.prefix_list_id == "pl-3b927c52" &&
      aws_vpc_security_group_ingress_rule.dashboard_from_cloudfront.cidr_ipv4 == null &&
      aws_vpc_security_group_ingress_rule.dashboard_from_cloudfront.cidr_ipv6 == null &&
      aws_vpc_security_group_ingress_rule.dashboard_from_cloudfront.referenced_security_group_id == null
    )
    error_message = "Nginx must admit CloudFront's origin-facing prefix list and nothing else"
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.dashboard_from_cloudfront.from_port == 80 && aws_vpc_security_group_ingress_rule.dashboard_from_cloudfront.to_port == 80
    error_message = "one port, the VPC origin's"
  }
}

run "dashboard_narrowed_to_the_vpc_origin_service_group" {
  command = plan

  variables {
    cloudfront_vpc_origin_security_group_id = "sg-0123456789abcdef0"
  }

  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.dashboard_from_cloudfront.referenced_security_group_id == "sg-0123456789abcdef0" &&
      aws_vpc_security_group_ingress_rule.dashboard_from_cloudfront.prefix_list_id == null &&
      aws_vpc_security_group_ingress_rule.dashboard_from_cloudfront.cidr_ipv4 == null
    )
    error_message = "once known, only CloudFront's VPC-origin service group may reach Nginx"
  }
}

run "private_subnets_get_no_public_ips" {
  command = plan

  assert {
    condition     = alltrue([for s in aws_subnet.public : s.map_public_ip_on_launch == false])
    error_message = "nothing may get a public IP by default"
  }

  assert {
    condition     = length(aws_subnet.private) == 2 && length(aws_subnet.public) == 2
    error_message = "two AZs by default"
  }
}

run "nat_instance_by_default" {
  command = plan

  assert {
    condition     = length(aws_autoscaling_group.nat) == 1 && aws_autoscaling_group.nat[0].min_size == 1 && aws_autoscaling_group.nat[0].max_size == 1
    error_message = "the default egress is one self-healing NAT instance (a group of one)"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 0 && length(aws_eip.nat) == 0 && length(aws_vpc_endpoint.interface) == 0
    error_message = "no NAT gateway, no EIP, no interface endpoints with the NAT instance"
  }

  assert {
    condition     = aws_launch_template.nat[0].instance_type == "t4g.nano" && aws_launch_template.nat[0].metadata_options[0].http_tokens == "required"
    error_message = "a t4g.nano with IMDSv2 only"
  }

  assert {
    condition     = aws_launch_template.nat[0].block_device_mappings[0].ebs[0].encrypted == "true"
    error_message = "the NAT instance's volume is encrypted"
  }
}

run "nat_gateway_mode" {
  command = plan

  variables {
    private_egress = "nat_gateway"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_autoscaling_group.nat) == 0 && length(aws_vpc_endpoint.interface) == 0
    error_message = "nat_gateway mode: one NAT gateway, no NAT instance, no interface endpoints"
  }
}

run "endpoints_mode_has_no_internet_route" {
  command = plan

  variables {
    private_egress = "endpoints"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 0 && length(aws_route.private_nat) == 0 && length(aws_autoscaling_group.nat) == 0
    error_message = "endpoints mode must not create a NAT or a NAT route"
  }

  assert {
    condition     = toset(keys(aws_vpc_endpoint.interface)) == toset(["ssm", "ssmmessages", "ec2messages", "logs", "sqs", "sns", "monitoring"])
    error_message = "endpoints mode must create the seven interface endpoints"
  }

  assert {
    condition     = aws_vpc_endpoint.interface["ssm"].service_name == "com.amazonaws.eu-west-1.ssm"
    error_message = "endpoint service names must be regional"
  }
}

run "postgres_cannot_move_to_a_public_port" {
  command = plan

  variables {
    dashboard_port = 5432
  }

  expect_failures = [var.dashboard_port]
}

run "egress_mode_is_validated" {
  command = plan

  variables {
    private_egress = "nat"
  }

  expect_failures = [var.private_egress]
}
