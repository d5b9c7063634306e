"""The batch ETL: raw S3 partitions -> validated, deduplicated PostgreSQL warehouse."""
