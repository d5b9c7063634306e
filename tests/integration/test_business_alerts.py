"""Business alerts after an ETL run: real warehouse, real SNS (moto), announced once."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from clickstream.etl import bookkeeping, business_alerts
from clickstream.etl.batch import run_batch
from clickstream.etl.business_alerts import BusinessAlertSettings
from clickstream.etl.loader import RunRequest
from clickstream.simulation.raw import SyntheticShop, write_objects

pytestmark = [pytest.mark.slow]

SETTINGS = BusinessAlertSettings(
    conversion_min_percent=5.0,
    conversion_hours=3,
    no_purchase_hours=3,
    compare_hours=3,
    drop_percent=50.0,
    min_sessions=5,
)


def inbox_for(topic_arn: str) -> tuple[Any, str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="biz-" + uuid.uuid4().hex[:8])["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    boto3.client("sns").subscribe(
        TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    return sqs, url


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    messages = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in batch:
            messages.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def test_business_alerts_fire_once_with_actionable_messages_and_resolve(
    warehouse_db, raw_bucket, etl_settings, moto_endpoint, monkeypatch
):
    s3, bucket = raw_bucket
    now = datetime.now(UTC)
    # Given a normal week-ago afternoon, and the last three hours: less traffic, no purchases
    shop = SyntheticShop(seed=1212)
    last_week = list(shop.events(1500, now - timedelta(days=7, hours=3), timedelta(hours=2)))
    recent = list(shop.events(300, now - timedelta(hours=2, minutes=50), timedelta(hours=1)))
    purchases = [r for r in recent if r["event_type"] == "purchase"]
    assert purchases and any(r["event_type"] == "purchase" for r in last_week)
    write_objects(s3, bucket, last_week + [r for r in recent if r["event_type"] != "purchase"])
    topic = boto3.client("sns").create_topic(Name="alerts-" + uuid.uuid4().hex[:6])["TopicArn"]
    sqs, inbox = inbox_for(topic)
    for name, value in {
        "BIZ_CONVERSION_MIN_PERCENT": "5", "BIZ_CONVERSION_HOURS": "3",
        "BIZ_NO_PURCHASE_HOURS": "3", "BIZ_COMPARE_HOURS": "3", "BIZ_MIN_SESSIONS": "5",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    settings = dataclasses.replace(etl_settings, sns_topic_arn=topic)

    # When the ETL runs (the Lambda's code path), it checks the business rules after loading
    assert run_batch(settings, RunRequest(trigger="schedule"))["status"] == "succeeded"

    # Then each broken rule is published once, with numbers and what to check
    notes = {n["alert"]: n["message"] for n in drain(sqs, inbox)}
    assert set(notes) == {
        "clickstream business alert: no purchases",
        "clickstream business alert: conversion low",
        "clickstream business alert: traffic down",
        "clickstream business alert: revenue down",
    }
    assert "No purchases for 3 h while" in notes["clickstream business alert: no purchases"]
    assert "Place a test order" in notes["clickstream business alert: no purchases"]
    assert "same hours last week (-" in notes["clickstream business alert: traffic down"]
    assert warehouse_db.scalar("select count(*) from business_alert_state where firing") == 4

    # And nothing is repeated while the conditions persist
    assert run_batch(settings, RunRequest(trigger="schedule"))["status"] == "succeeded"
    assert drain(sqs, inbox) == []

    # When the purchases arrive (late), the purchase rules resolve, once
    write_objects(s3, bucket, purchases, seed=99)
    conn = bookkeeping.connect(warehouse_db.etl_url)
    try:
        # The late objects sit in hours the run already passed: backfill them first.
        first = min(datetime.fromisoformat(r["received_at"]) for r in purchases)
        from clickstream.etl.dependencies import build_dependencies
        from clickstream.etl.loader import run_etl

        hour = first.replace(minute=0, second=0, microsecond=0)
        run_etl(
            RunRequest(mode="backfill", first_hour=hour, last_hour=hour + timedelta(hours=3)),
            build_dependencies(settings, s3=s3),
        )
        published = business_alerts.check_and_publish(
            conn, datetime.now(UTC), SETTINGS, business_alerts.sns_publisher(topic)
        )
    finally:
        conn.close()
    assert {(p["rule"], p["firing"]) for p in published} >= {("no_purchases", False)}
    resolved = [n["alert"] for n in drain(sqs, inbox)]
    assert "clickstream business alert resolved: no purchases" in resolved
    assert not warehouse_db.scalar(
        "select firing from business_alert_state where rule = 'no_purchases'"
    )


def test_bad_thresholds_get_a_clear_error() -> None:
    with pytest.raises(ValueError, match="BIZ_DROP_PERCENT must be a number"):
        BusinessAlertSettings.from_env({"BIZ_DROP_PERCENT": "half"})
    assert BusinessAlertSettings.from_env({"BIZ_ALERTS_ENABLED": "false"}).enabled is False
