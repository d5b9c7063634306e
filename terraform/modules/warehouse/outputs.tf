output "instance_id" {
  description = "ID of the warehouse instance (target of `aws ssm start-session` and the Ansible SSM inventory)."
  value       = aws_instance.this.id
}

output "instance_private_ip" {
  description = "Private IP of the warehouse (PostgreSQL host in the ETL's DSN)."
  value       = aws_instance.this.private_ip
}

output "instance_ami_id" {
  description = "AMI the instance was built from."
  value       = aws_instance.this.ami
}

output "ebs_volume_data_id" {
  description = "ID of the PostgreSQL data volume (attached as /dev/sdf)."
  value       = aws_ebs_volume.data.id
}

output "s3_bucket_backups_id" {
  description = "Name of the backup bucket (the pgBackRest repository)."
  value       = aws_s3_bucket.backups.id
}

output "kms_key_arn" {
  description = "ARN of the warehouse KMS key."
  value       = local.kms_key_arn
}

output "iam_role_arn" {
  description = "ARN of the instance role."
  value       = aws_iam_role.this.arn
}

output "s3_bucket_ssm_transfer_id" {
  description = "Bucket the Ansible aws_ssm connection moves module files through (ansible_aws_ssm_bucket_name)."
  value       = aws_s3_bucket.ssm_transfer.id
}

output "log_group_prefix" {
  description = "Prefix of the host's log groups (<prefix>/system, /postgresql, /nginx, /shiny)."
  value       = local.log_group_prefix
}

output "backup_retention_days" {
  description = "Days pgBackRest keeps full backups (repo1-retention-full)."
  value       = var.backup_retention_days
}

output "dashboard_port" {
  description = "Port Nginx listens on for the front door."
  value       = var.dashboard_port
}

output "region" {
  description = "Region of the host (the playbook's SSM connection and pgBackRest's S3 endpoint)."
  value       = data.aws_region.current.name
}
