# The whole security-group graph of the stack lives here (the NAT instance's own group
# sits in nat_instance.tf) so one file answers "who can reach PostgreSQL?": only the
# ETL Lambda's group and the dashboard's group. Nginx is reached by CloudFront only.
# Nothing allows SSH (port 22) from anywhere: operators use SSM Session Manager.

resource "aws_security_group" "dashboard" {
  #checkov:skip=CKV2_AWS_5:Attached to the warehouse instance (modules/warehouse), which serves Shiny by the env root; checkov does not follow the module output.
  name        = "${var.name}-dashboard"
  description = "Shiny behind Nginx: reachable from CloudFront (VPC origin) only; may read PostgreSQL."
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-dashboard" })
}

resource "aws_security_group" "warehouse" {
  #checkov:skip=CKV2_AWS_5:Attached to the warehouse instance (modules/warehouse) by the env root; checkov does not follow the module output.
  name        = "${var.name}-warehouse"
  description = "PostgreSQL warehouse: accepts the ETL Lambda and dashboard groups only."
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-warehouse" })
}

resource "aws_security_group" "etl" {
  #checkov:skip=CKV2_AWS_5:Attached to the ETL Lambda (modules/etl) by the env root; checkov does not follow the module output.
  name        = "${var.name}-etl"
  description = "ETL and compactor Lambdas: egress to PostgreSQL, S3 and AWS APIs only."
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-etl" })
}

resource "aws_security_group" "endpoints" {
  name        = "${var.name}-endpoints"
  description = "Interface VPC endpoints: HTTPS from inside the VPC."
  vpc_id      = aws_vpc.this.id
  tags        = merge(var.tags, { Name = "${var.name}-endpoints" })
}

# --- Dashboard host ----------------------------------------------------------

# The dashboard is reached through a CloudFront VPC origin (modules/dashboard_edge).
# Until the VPC origin exists, the rule admits CloudFront's origin-facing prefix list;
# once CloudFront has created its CloudFront-VPCOrigins-Service-SG in this VPC, setting
# cloudfront_vpc_origin_security_group_id narrows it to this account's VPC origins
# (docs/deploy.md). No CIDR, no public address, and sign-in happens at the edge first.
resource "aws_vpc_security_group_ingress_rule" "dashboard_from_cloudfront" {
  #checkov:skip=CKV_AWS_260:The source is CloudFront's origin-facing managed prefix list, not 0.0.0.0/0; the host has no public address either.
  security_group_id = aws_security_group.dashboard.id
  description       = "Nginx from CloudFront's VPC origin only"
  ip_protocol       = "tcp"
  from_port         = var.dashboard_port
  to_port           = var.dashboard_port
  prefix_list_id    = var.cloudfront_vpc_origin_security_group_id == "" ? data.aws_ec2_managed_prefix_list.cloudfront_origin_facing.id : null

  referenced_security_group_id = var.cloudfront_vpc_origin_security_group_id == "" ? null : var.cloudfront_vpc_origin_security_group_id
  tags                         = var.tags
}

resource "aws_vpc_security_group_egress_rule" "dashboard_to_postgres" {
  security_group_id            = aws_security_group.dashboard.id
  description                  = "Read-only dashboard role to PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = var.postgres_port
  to_port                      = var.postgres_port
  referenced_security_group_id = aws_security_group.warehouse.id
  tags                         = var.tags
}

# --- Warehouse host ----------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "postgres_from_etl" {
  security_group_id            = aws_security_group.warehouse.id
  description                  = "PostgreSQL from the ETL Lambda"
  ip_protocol                  = "tcp"
  from_port                    = var.postgres_port
  to_port                      = var.postgres_port
  referenced_security_group_id = aws_security_group.etl.id
  tags                         = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "postgres_from_dashboard" {
  security_group_id            = aws_security_group.warehouse.id
  description                  = "PostgreSQL from the dashboard group"
  ip_protocol                  = "tcp"
  from_port                    = var.postgres_port
  to_port                      = var.postgres_port
  referenced_security_group_id = aws_security_group.dashboard.id
  tags                         = var.tags
}

# HTTPS out: SSM agent, CloudWatch agent, S3 backups and (through NAT) Debian packages.
resource "aws_vpc_security_group_egress_rule" "warehouse_https" {
  security_group_id = aws_security_group.warehouse.id
  description       = "HTTPS to AWS APIs and package mirrors"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
  tags              = var.tags
}

# --- ETL Lambda --------------------------------------------------------------

resource "aws_vpc_security_group_egress_rule" "etl_to_postgres" {
  security_group_id            = aws_security_group.etl.id
  description                  = "COPY and upsert into the warehouse"
  ip_protocol                  = "tcp"
  from_port                    = var.postgres_port
  to_port                      = var.postgres_port
  referenced_security_group_id = aws_security_group.warehouse.id
  tags                         = var.tags
}

resource "aws_vpc_security_group_egress_rule" "etl_to_s3" {
  security_group_id = aws_security_group.etl.id
  description       = "Raw bucket through the S3 gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = aws_vpc_endpoint.s3.prefix_list_id
  tags              = var.tags
}

resource "aws_vpc_security_group_egress_rule" "etl_to_endpoints" {
  count = local.use_endpoints ? 1 : 0

  security_group_id            = aws_security_group.etl.id
  description                  = "SSM, SNS and CloudWatch through interface endpoints"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.endpoints.id
  tags                         = var.tags
}

resource "aws_vpc_security_group_egress_rule" "etl_to_nat" {
  count = local.use_endpoints ? 0 : 1

  security_group_id = aws_security_group.etl.id
  description       = "SSM, SNS and CloudWatch APIs through the NAT"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
  tags              = var.tags
}

# --- Interface endpoints -----------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "endpoints_https" {
  security_group_id = aws_security_group.endpoints.id
  description       = "HTTPS from anything inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = aws_vpc.this.cidr_block
  tags              = var.tags
}
