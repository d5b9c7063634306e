"""Structured JSON logging and CloudWatch EMF metrics, built once per process.

Powertools writes one JSON object per log line and flushes metrics as EMF on
stdout; CloudWatch turns both into searchable logs and metrics without an
agent, and locally they are readable as they are.

Two kinds of custom metric, and their cost (scripts/cost.py reads both from the code):

- always-on: published on every invocation with `metrics.add_metric(name=...)`, zeros
  included, because a graph or an alarm needs the datapoint (DataFreshnessMinutes: its
  alarm treats missing data as breaching). Each is billed as a full custom metric.
- sparse (SPARSE_METRICS): failure and exception counters, published only when non-zero
  through `add_count_when_nonzero`. CloudWatch prorates a custom metric by the hours in
  which it receives data, so a counter that is zero almost always costs almost nothing.
  An alarm on one must treat missing data as notBreaching (tests/unit/test_infra_agreement.py),
  and a reader of one must take "no datapoint" as zero.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

METRICS_NAMESPACE = os.environ.get("METRICS_NAMESPACE", "Clickstream")

# Counters sent only in the invocations where they are non-zero. The one list: the helper
# refuses any other name, the Terraform test and the cost model read it.
SPARSE_METRICS: tuple[str, ...] = (
    # ingest
    "EventsDuplicate",
    "EventsRejected",
    "DlqSends",
    "BotEvents",
    "UntrustedUserIds",
    "StorageFailures",
    "BatchesParked",
    "RequestsRefused",
    "AuthDowngraded",
    # etl
    "EtlRowsDuplicate",
    "EtlRowsRejected",
    "QuarantinedObjects",
    "EtlObjectsFailed",
    "EtlFailed",
    # compactor (etl/compact_handler.py)
    "CompactObjectsMerged",
    "CompactFailures",
)


def get_logger(service: str) -> Logger:
    return Logger(service=service, level=os.environ.get("LOG_LEVEL", "INFO"))


def get_metrics(service: str) -> Metrics:
    return Metrics(namespace=METRICS_NAMESPACE, service=service)


def add_count_when_nonzero(metrics: Metrics, name: str, value: float) -> None:
    """Add the Count metric `name` only when `value` is non-zero (a sparse metric)."""
    if name not in SPARSE_METRICS:
        raise ValueError(f"{name!r} is not in SPARSE_METRICS; add it there (and check its alarms)")
    if value:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
