"""Compactor Lambda entry point (clickstream.etl.compact_handler.lambda_handler).

The scheduled event (no input needed) compacts every closed hour that needs it;
{"hour": "2026-11-28T13"} compacts that hour only. Raises CompactionFailed after an SNS
alert when an hour failed or S3 refused to delete sources, so the invocation counts as
an error (its alarm) and the next one retries. Metrics (EMF, service "compact") are
sparse counters: sent only in the invocations where they are non-zero.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from clickstream.etl import bookkeeping
from clickstream.etl.alerting import publish_alert
from clickstream.etl.compact import CompactionRun, compact_closed_hours, compact_hour
from clickstream.etl.config import EtlSettings
from clickstream.etl.hours import parse_hour
from clickstream.observability import add_count_when_nonzero, get_logger, get_metrics

logger = get_logger("compact")
metrics = get_metrics("compact")


class CompactionFailed(RuntimeError):
    """Some hours failed or some sources could not be deleted; the message says which."""


def emit_metrics(run: CompactionRun) -> None:
    """Small objects merged, and failures: hours that failed plus sources S3 did not
    delete (the invocation also fails, so the Lambda Errors alarm fires; this says why)."""
    add_count_when_nonzero(
        metrics, "CompactObjectsMerged", sum(hour.objects_merged for hour in run.hours)
    )
    add_count_when_nonzero(metrics, "CompactFailures", len(run.errors) + run.delete_errors)


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = EtlSettings.from_env()
    event = event if isinstance(event, dict) else {}
    hour_text = event.get("hour")
    conn = bookkeeping.connect(
        settings.resolve_database_url(), application_name="clickstream-compact"
    )
    s3 = boto3.client("s3")
    try:
        if hour_text:
            single = compact_hour(
                s3,
                settings.raw_bucket,
                conn,
                parse_hour(str(hour_text)),
                settings.compact_target_mb * 1024 * 1024,
            )
            run = CompactionRun(hours=[single])
        else:
            run = compact_closed_hours(
                s3,
                settings.raw_bucket,
                conn,
                datetime.now(UTC),
                settings,
                lambda: context.get_remaining_time_in_millis() / 1000.0,
            )
    finally:
        conn.close()
    emit_metrics(run)
    result = run.as_dict()
    logger.info("compaction run finished", **{k: v for k, v in result.items() if k != "hours"})
    if run.errors or run.delete_errors:
        publish_alert(settings.sns_topic_arn, "clickstream compaction needs attention", result)
        raise CompactionFailed(
            f"{len(run.errors)} hours failed, {run.delete_errors} objects S3 did not delete;"
            " the next run retries them"
        )
    return result
