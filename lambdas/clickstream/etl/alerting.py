"""Operator alerts on SNS (ETL run failures, quarantined objects, compaction problems).

An alert that cannot be published is logged, never raised: alerting must not turn a
run's outcome into a different failure.
"""

from __future__ import annotations

import json
from typing import Any

from clickstream.observability import get_logger

logger = get_logger("etl")


def publish_alert(
    topic_arn: str | None, subject: str, body: dict[str, Any], sns: Any = None
) -> None:
    if not topic_arn:
        logger.warning("no SNS topic configured; alert only logged", subject=subject, alert=body)
        return
    try:
        if sns is None:
            import boto3  # here, not at import: a run without alerts never loads boto3

            sns = boto3.client("sns")
        sns.publish(
            TopicArn=topic_arn, Subject=subject[:100], Message=json.dumps(body, default=str)
        )
    except Exception:
        logger.exception("could not publish the alert to SNS", subject=subject)
