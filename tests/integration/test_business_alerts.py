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


# The per-window figures as the rules define them, one straightforward query per window.
REFERENCE_WINDOW_SQL = """
select
    count(distinct session_id) filter (where not is_bot),
    count(distinct session_id) filter (where not is_bot and event_type = 'purchase'),
    coalesce(sum(price * qty) filter (where not is_bot and event_type = 'purchase'), 0)
from fact_events
where event_at >= %s and event_at < %s
"""


def test_the_one_scan_windows_equal_one_query_per_window(
    warehouse_db, raw_bucket, etl_settings, moto_endpoint
):
    # Given nine days of seeded shopping with bots, loaded by the ETL
    import random

    from clickstream.etl.dependencies import build_dependencies
    from clickstream.etl.loader import run_etl

    s3, bucket = raw_bucket
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=9)
    write_objects(
        s3, bucket, SyntheticShop(seed=77, bot_share=0.1).events(6000, start, timedelta(days=9))
    )
    first = start.replace(minute=0, second=0)
    run_etl(
        RunRequest(mode="backfill", first_hour=first, last_hour=now.replace(minute=0, second=0)),
        build_dependencies(etl_settings, s3=s3),
    )
    assert warehouse_db.scalar("select count(*) from fact_events where is_bot") > 0
    conn = bookkeeping.connect(warehouse_db.etl_url)
    rng = random.Random(20261201)
    seen: list[Any] = []
    try:
        with conn.cursor() as cur:
            # When the rules' windows are read in one scan, for window lengths from none to
            # longer than a week (recent and last week's windows then overlap) and several ends
            for _ in range(12):
                settings = BusinessAlertSettings(
                    conversion_hours=rng.choice([0, 1, 3, 6, 30, 200, 400]),
                    no_purchase_hours=rng.choice([0, 1, 3, 24, 190]),
                    compare_hours=rng.choice([1, 6, 48, 180]),
                )
                end = now - timedelta(hours=rng.choice([0, 0, 5, 30]))
                windows = business_alerts._windows(cur, end, settings)
                span = timedelta(hours=settings.compare_hours)
                week = timedelta(days=7)

                def reference(since: datetime, until: datetime) -> tuple[int, int, Any]:
                    cur.execute(REFERENCE_WINDOW_SQL, (since, until))
                    return cur.fetchone()

                # Then each equals its own query
                conversion = reference(end - timedelta(hours=settings.conversion_hours), end)
                no_purchase = reference(end - timedelta(hours=settings.no_purchase_hours), end)
                recent = reference(end - span, end)
                last_week = reference(end - span - week, end - week)
                seen += [conversion[1], recent[2]]
                assert (windows["conversion"].sessions, windows["conversion"].buyers) == conversion[
                    :2
                ]
                assert (
                    windows["no_purchase"].sessions,
                    windows["no_purchase"].buyers,
                ) == no_purchase[:2]
                assert (windows["recent"].sessions, windows["recent"].revenue) == (
                    recent[0],
                    recent[2],
                )
                assert (windows["last_week"].sessions, windows["last_week"].revenue) == (
                    last_week[0],
                    last_week[2],
                )
            # (and the data held purchasing sessions and revenue in the windows compared)
            assert any(seen[0::2]) and any(seen[1::2])
    finally:
        conn.close()
