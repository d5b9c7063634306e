# What an analyst (or a BI tool's role) needs to query the lake, and nothing else:
# this workgroup, this database and table, the results bucket; raw reads come from
# the raw_store's prefix-scoped read policy, attached alongside.
data "aws_iam_policy_document" "query" {
  statement {
    sid = "UseWorkgroup"
    actions = [
      "athena:StartQueryExecution",
      "athena:GetQueryExecution",
      "athena:GetQueryResults",
      "athena:StopQueryExecution",
      "athena:GetWorkGroup",
      "athena:ListNamedQueries",
      "athena:GetNamedQuery",
      "athena:BatchGetNamedQuery",
    ]
    resources = [aws_athena_workgroup.this.arn]
  }

  statement {
    sid     = "ReadCatalog"
    actions = ["glue:GetDatabase", "glue:GetTable", "glue:GetPartitions", "glue:GetPartition"]
    resources = [
      "arn:${data.aws_partition.current.partition}:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:catalog",
      "arn:${data.aws_partition.current.partition}:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:database/${aws_glue_catalog_database.this.name}",
      "arn:${data.aws_partition.current.partition}:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:table/${aws_glue_catalog_database.this.name}/*",
    ]
  }

  statement {
    sid       = "WriteResults"
    actions   = ["s3:GetBucketLocation", "s3:ListBucket"]
    resources = [aws_s3_bucket.results.arn]
  }

  statement {
    sid       = "ReadWriteResultObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.results.arn}/results/*"]
  }

  statement {
    sid       = "EncryptResults"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.raw_kms_key_arn]
  }
}

resource "aws_iam_policy" "query" {
  name        = "${var.name}-lake-query"
  description = "Query the clickstream lake with Athena (attach together with the raw read policy)."
  policy      = data.aws_iam_policy_document.query.json
  tags        = var.tags
}
