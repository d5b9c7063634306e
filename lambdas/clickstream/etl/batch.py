"""One ETL batch, the single entry point of the Lambda handler, `clickstream etl run /
backfill` and the local scheduler: run the loader, record the reliability snapshot,
publish metrics, alert on failure or quarantine, check the business alerts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clickstream.etl import business_alerts, reliability
from clickstream.etl.alerting import publish_alert
from clickstream.etl.config import EtlSettings
from clickstream.etl.dependencies import build_dependencies
from clickstream.etl.loader import EtlRunFailed, RunRequest, run_etl
from clickstream.etl.reliability import ReliabilitySettings
from clickstream.etl.run_metrics import emit_metrics


def run_batch(
    settings: EtlSettings,
    request: RunRequest,
    health: ReliabilitySettings | None = None,
    time_left: Callable[[], float] | None = None,
    progress: Callable[[str], None] | None = None,
    s3: Any = None,
) -> dict[str, Any]:
    """Run once and return the summary; raises loader.EtlRunFailed after alerting.

    `time_left()` (seconds the invocation has left) caps the time budget. Every run that
    has an etl_runs row also records its reliability snapshot (DLQ depth, ingest Lambda
    and ingest metrics from CloudWatch); that step never fails the run. Metrics are
    added to run_metrics.metrics; the caller flushes them."""
    health = health or ReliabilitySettings.from_env()
    deps = build_dependencies(settings, time_left, s3=s3)
    deps.progress = progress
    try:
        summary = run_etl(request, deps)
    except EtlRunFailed as failure:
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
