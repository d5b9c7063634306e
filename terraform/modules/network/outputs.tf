output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets (the NAT only)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets (warehouse EC2, ETL Lambda, endpoints)."
  value       = aws_subnet.private[*].id
}

output "private_subnet_cidr_blocks" {
  description = "CIDRs of the private subnets, in AZ order."
  value       = aws_subnet.private[*].cidr_block
}

output "security_group_dashboard_id" {
  description = "Security group of whatever serves the Shiny dashboard (the warehouse host today)."
  value       = aws_security_group.dashboard.id
}

output "security_group_warehouse_id" {
  description = "Security group of the PostgreSQL warehouse host."
  value       = aws_security_group.warehouse.id
}

output "security_group_etl_id" {
  description = "Security group of the ETL and compactor Lambdas."
  value       = aws_security_group.etl.id
}

output "vpc_endpoint_s3_id" {
  description = "ID of the S3 gateway endpoint (bucket policies may pin aws:sourceVpce to it)."
  value       = aws_vpc_endpoint.s3.id
}

output "nat_gateway_public_ip" {
  description = "Public IP of the NAT gateway, or null unless private_egress is nat_gateway (a NAT instance's address changes with each replacement)."
  value       = local.use_nat_gateway ? aws_eip.nat[0].public_ip : null
}

output "cloudfront_prefix_list_id" {
  description = "CloudFront origin-facing managed prefix list the dashboard group admits."
  value       = data.aws_ec2_managed_prefix_list.cloudfront_origin_facing.id
}

output "postgres_port" {
  description = "PostgreSQL port the security groups open."
  value       = var.postgres_port
}

output "dashboard_port" {
  description = "Port the dashboard group admits from CloudFront (Nginx's listener for the VPC origin)."
  value       = var.dashboard_port
}
