output "bucket_id" {
  description = "Name of the raw clickstream bucket (the Lambdas' RAW_BUCKET)."
  value       = aws_s3_bucket.raw.id
}

output "bucket_arn" {
  description = "ARN of the raw clickstream bucket."
  value       = aws_s3_bucket.raw.arn
}

output "kms_key_arn" {
  description = "ARN of the raw bucket's KMS key."
  value       = aws_kms_key.this.arn
}

output "partition_glob" {
  description = "The raw partition layout with wildcards (year=*/month=*/day=*/hour=*/)."
  value       = local.partition_glob
}

output "policy_write_raw_arn" {
  description = "Managed policy for the ingest Lambda (put events-* only)."
  value       = aws_iam_policy.write_raw.arn
}

output "policy_read_raw_arn" {
  description = "Managed policy for raw readers (ETL, compactor, Athena users)."
  value       = aws_iam_policy.read_raw.arn
}

output "policy_compact_raw_arn" {
  description = "Managed policy for the compactor (write compacted-*, delete merged events-*)."
  value       = aws_iam_policy.compact_raw.arn
}

output "access_log_bucket_id" {
  description = "Name of the shared S3 access-log bucket."
  value       = aws_s3_bucket.access_logs.id
}
