"""The ETL run's CloudWatch metrics (EMF), built once per process.

The Lambda handler flushes them (`@metrics.log_metrics`); the local scheduler flushes
them after each firing, like Lambda. The compactor has its own (compact_handler.py).
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from clickstream.etl.loader import RunSummary
from clickstream.observability import add_count_when_nonzero, get_metrics

metrics = get_metrics("etl")


def emit_metrics(summary: RunSummary) -> None:
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
