output "glue_catalog_database_name" {
  description = "Glue database of the lake."
  value       = aws_glue_catalog_database.this.name
}

output "glue_catalog_table_name" {
  description = "Glue table over the raw NDJSON."
  value       = aws_glue_catalog_table.raw_events.name
}

output "athena_workgroup_name" {
  description = "Athena workgroup to run lake queries in."
  value       = aws_athena_workgroup.this.name
}

output "s3_bucket_results_id" {
  description = "Bucket that holds Athena query results."
  value       = aws_s3_bucket.results.id
}

output "iam_policy_query_arn" {
  description = "Managed policy an analyst role needs (with raw_store.policy_read_raw_arn) to query the lake."
  value       = aws_iam_policy.query.arn
}

output "athena_named_query_ids" {
  description = "IDs of the headline named queries, by name."
  value       = { for k, q in aws_athena_named_query.this : k => q.id }
}
