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
  description = "Name of the backup bucket."
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
