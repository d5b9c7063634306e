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
    # Every CIDR-based ingress rule of the module: only the ALB's 80/443 and the
    # endpoints' 443 from inside the VPC.
    condition = alltrue(concat(
      [for r in aws_vpc_security_group_ingress_rule.alb_https : r.from_port == 443 && r.to_port == 443],
      [for r in aws_vpc_security_group_ingress_rule.alb_http : r.from_port == 80 && r.to_port == 80],
      [aws_vpc_security_group_ingress_rule.endpoints_https.cidr_ipv4 == "10.40.0.0/16"],
    ))
    error_message = "the only CIDR ingress may be the ALB's 80/443 and endpoint HTTPS from the VPC"
  }

  assert {
    condition     = !anytrue([for r in aws_vpc_security_group_ingress_rule.alb_https : r.from_port <= 22 && r.to_port >= 22])
    error_message = "no SSH"
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

run "nat_mode_has_no_interface_endpoints" {
  command = plan

  variables {
    private_egress = "nat"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_vpc_endpoint.interface) == 0
    error_message = "nat mode: one NAT gateway and no interface endpoints"
  }
}

run "endpoints_mode_has_no_internet_route" {
  command = plan

  variables {
    private_egress = "endpoints"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 0 && length(aws_route.private_nat) == 0
    error_message = "endpoints mode must not create a NAT route"
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

run "world_cidr_for_alb_only" {
  command = plan

  variables {
    alb_ingress_cidrs = ["not-a-cidr"]
  }

  expect_failures = [var.alb_ingress_cidrs]
}
