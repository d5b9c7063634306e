"""ETL Lambda entry point (clickstream.etl.handler.lambda_handler).

Invoked by the EventBridge schedule (the local scheduler sends the same event).
The event may carry {"mode": "backfill", "from": ..., "to": ...} or {"mode": "drain"}
at its top level or in `detail`; a plain scheduled event means mode "run".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
from aws_lambda_powertools.metrics import MetricUnit

from clickstream.etl import business_alerts, loader, reliability, warehouse
from clickstream.etl.config import EtlSettings
from clickstream.etl.reliability import ReliabilitySettings
from clickstream.observability import add_count_when_nonzero, get_logger, get_metrics

logger = get_logger("etl")
metrics = get_metrics("etl")

# Stop taking objects this long before Lambda would kill the function.
LAMBDA_SAFETY_SECONDS = 30.0


def parse_hour(value: str) -> datetime:
    """'2026-11-28T13', '2026-11-28T13:00', '2026-11-28' or full ISO; UTC when no offset."""
    text = value.strip()
    if len(text) == 13 and text[10] == "T":
        text += ":00"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise ValueError(f"{value!r} is not an hour like 2026-11-28T13") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def request_from_event(event: Any) -> loader.RunRequest:
    event = event if isinstance(event, dict) else {}
    detail = event.get("detail")
    if isinstance(detail, str):
        try:
            detail = json.loads(detail) if detail.strip() else {}
        except json.JSONDecodeError:
            detail = {}
    options = {**(detail if isinstance(detail, dict) else {}), **event}
    mode = str(options.get("mode", "run"))
    scheduled = event.get("detail-type") == "Scheduled Event" or event.get("source") == "schedule"
    trigger = "schedule" if scheduled else "invoke"
    if mode == "backfill":
        return loader.RunRequest(
            mode=mode,
            trigger=trigger,
            first_hour=parse_hour(str(options.get("from", ""))),
            last_hour=parse_hour(str(options.get("to", ""))),
        )
    return loader.RunRequest(mode=mode, trigger=str(options.get("trigger", trigger)))


def build_dependencies(
    settings: EtlSettings, context: Any = None, s3: Any = None
) -> loader.EtlDependencies:
    budget = settings.time_budget_seconds
    if context is not None and hasattr(context, "get_remaining_time_in_millis"):
        remaining = context.get_remaining_time_in_millis() / 1000.0 - LAMBDA_SAFETY_SECONDS
        budget = max(1.0, min(budget, remaining))
    dsn_holder: dict[str, str] = {}

    def connect() -> Any:
        if "dsn" not in dsn_holder:
            dsn_holder["dsn"] = settings.resolve_database_url()
        return warehouse.connect(dsn_holder["dsn"])

    return loader.EtlDependencies(
        s3=s3 or boto3.client("s3"),
        bucket=settings.raw_bucket,
        connect=connect,
        grace_hours=settings.grace_hours,
        time_budget_seconds=budget,
        group_max_rows=settings.group_max_rows,
        window=settings.window,
        max_object_attempts=settings.max_object_attempts,
    )


def publish_alert(topic_arn: str | None, subject: str, body: dict[str, Any]) -> None:
    if not topic_arn:
        logger.warning("no SNS topic configured; alert only logged", subject=subject, alert=body)
        return
    try:
        boto3.client("sns").publish(
            TopicArn=topic_arn, Subject=subject[:100], Message=json.dumps(body, default=str)
        )
    except Exception:
        logger.exception("could not publish the alert to SNS", subject=subject)


def emit_metrics(summary: loader.RunSummary) -> None:
    # Progress every run (graphs, the freshness alarm); failures only when they happened.
    metrics.add_metric(name="EtlRowsInserted", unit=MetricUnit.Count, value=summary.rows_inserted)
    metrics.add_metric(name="EtlObjectsLoaded", unit=MetricUnit.Count, value=summary.objects_loaded)
    metrics.add_metric(
        name="EtlBacklogObjects", unit=MetricUnit.Count, value=summary.objects_pending
    )
    metrics.add_metric(
        name="EtlDurationSeconds", unit=MetricUnit.Seconds, value=summary.duration_seconds
    )
    add_count_when_nonzero(metrics, "EtlRowsDuplicate", summary.rows_duplicate)
    add_count_when_nonzero(metrics, "EtlRowsRejected", summary.rows_rejected)
    add_count_when_nonzero(metrics, "QuarantinedObjects", summary.objects_quarantined)
    add_count_when_nonzero(metrics, "EtlObjectsFailed", summary.objects_failed)
    add_count_when_nonzero(metrics, "EtlFailed", int(summary.status == "failed"))
    if summary.lag_seconds is not None:
        metrics.add_metric(name="EtlLagSeconds", unit=MetricUnit.Seconds, value=summary.lag_seconds)
    if summary.status in ("succeeded", "partial"):
        # Freshness is 0 at the end of a successful load; the alarm watches its absence.
        metrics.add_metric(name="DataFreshnessMinutes", unit=MetricUnit.Count, value=0)


def execute(
    event: Any,
    context: Any = None,
    settings: EtlSettings | None = None,
    health: ReliabilitySettings | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run once and return the summary; raises loader.EtlRunFailed after alerting.

    Every run that has an etl_runs row also records its reliability snapshot (DLQ depth,
    ingest Lambda and ingest metrics from CloudWatch); that step never fails the run."""
    settings = settings or EtlSettings.from_env()
    health = health or ReliabilitySettings.from_env()
    request = request_from_event(event)
    deps = build_dependencies(settings, context)
    deps.progress = progress
    try:
        summary = loader.run_etl(request, deps)
    except loader.EtlRunFailed as failure:
        reliability.record(deps.connect, failure.summary.run_id, health)
        emit_metrics(failure.summary)
        publish_alert(
            settings.sns_topic_arn, "clickstream ETL run failed", failure.summary.as_dict()
        )
        raise
    reliability.record(deps.connect, summary.run_id, health)
    emit_metrics(summary)
    if summary.status in ("succeeded", "partial"):
        # Store-owner alerts (conversion, purchases, traffic, revenue); never fails the run.
        business_alerts.after_run(deps.connect, settings.sns_topic_arn)
    if summary.objects_quarantined:
        publish_alert(
            settings.sns_topic_arn,
            "clickstream ETL quarantined raw objects",
            {"run_id": summary.run_id, "quarantined": summary.quarantined},
        )
    return summary.as_dict()


@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return execute(event, context)
