"""Names that code, Terraform and the SDK must agree on; tests check that they do.

Terraform cannot import Python, so tests/unit/test_infra_agreement.py reads
these constants and the .tf files and fails when the two drift apart.
"""

from __future__ import annotations

INGEST_METHOD = "POST"
INGEST_PATH = "/v1/events"
INGEST_ROUTE_KEY = f"{INGEST_METHOD} {INGEST_PATH}"

# Raw objects are partitioned by server receive time (UTC), one object per request batch.
RAW_PARTITION_FORMAT = "year={year:04d}/month={month:02d}/day={day:02d}/hour={hour:02d}/"
RAW_OBJECT_PREFIX = "events-"
COMPACTED_OBJECT_PREFIX = "compacted-"
RAW_OBJECT_SUFFIX = ".ndjson.gz"

# The raw buffer: an Amazon Data Firehose stream <project>-<environment>-raw-buffer
# (terraform/modules/raw_buffer; locally clickstream.local.firehose) writes gzip objects
# into the same partitions, from the arrival time of each buffer's oldest record, named
# <stream>-<version>-YYYY-MM-DD-HH-MM-SS-<id> + RAW_OBJECT_SUFFIX (its file extension).
# The ETL reads every *RAW_OBJECT_SUFFIX object of a partition, whoever wrote it.
RAW_BUFFER_STREAM_SUFFIX = "-raw-buffer"
FIREHOSE_OBJECT_VERSION = "1"
FIREHOSE_PREFIX = (
    "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/"
)
# Records Firehose could not deliver; outside the year= partitions, so no reader lists them.
FIREHOSE_ERROR_PREFIX = "firehose-errors/!{firehose:error-output-type}/" + FIREHOSE_PREFIX

# Bucket names are <project>-<environment>-raw-<account id>, e.g. clickstream-prod-raw-123456789012.
RAW_BUCKET_NAME_PATTERN = r"^[a-z0-9-]{3,20}-(prod|dev|staging|local)-raw(-[0-9]{12})?$"

# Lambda entry points, as Terraform's `handler` argument spells them.
INGEST_HANDLER = "clickstream.ingest.handler.lambda_handler"
ETL_HANDLER = "clickstream.etl.handler.lambda_handler"
COMPACT_HANDLER = "clickstream.etl.compact_handler.lambda_handler"

# Environment variables each function reads. *_PARAM names an SSM SecureString
# parameter (production); the plain variable holds the value itself (local stack).
INGEST_ENVIRONMENT: tuple[str, ...] = (
    "RAW_BUCKET",
    "DLQ_URL",
    "PARKING_QUEUE_URL",
    "ALLOWED_ORIGINS",
    "COGNITO_USER_POOL_ID",
    "COGNITO_CLIENT_ID",
    "SITE_KEYS_PARAM",
    "PII_HASH_KEY_PARAM",
    "ORIGIN_VERIFY_PARAM",
    "MAX_BATCH_EVENTS",
    "MAX_BODY_BYTES",
    "DELIVERY_STREAM_NAME",
)
# The compactor reads its settings with the ETL's loader (EtlSettings.from_env).
COMPACT_ENVIRONMENT: tuple[str, ...] = (
    "RAW_BUCKET",
    "DATABASE_URL_PARAM",
    "SNS_TOPIC_ARN",
    "ETL_GRACE_HOURS",
    "ETL_TIME_BUDGET_SECONDS",
)
# The ETL Lambda also reads the queues and the ingest function for each run's
# reliability snapshot, and the business alert thresholds (clickstream.etl.business_alerts).
ETL_ENVIRONMENT: tuple[str, ...] = (
    *COMPACT_ENVIRONMENT,
    "DLQ_URL",
    "PARKING_QUEUE_URL",
    "INGEST_FUNCTION_NAME",
    "ALARM_NAME_PREFIX",
    "BIZ_ALERTS_ENABLED",
    "BIZ_CONVERSION_MIN_PERCENT",
    "BIZ_CONVERSION_HOURS",
    "BIZ_NO_PURCHASE_HOURS",
    "BIZ_COMPARE_HOURS",
    "BIZ_DROP_PERCENT",
    "BIZ_MIN_SESSIONS",
)

# Header CloudFront adds to every request it forwards to the ingest API (the value is
# the SSM parameter ORIGIN_VERIFY_PARAM names); requests without it bypassed the WAF.
ORIGIN_VERIFY_HEADER = "x-origin-verify"

# EventBridge Scheduler expression of the ETL in production (the local stack runs every minute).
ETL_SCHEDULE_EXPRESSION = "rate(1 hour)"
