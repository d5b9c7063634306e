"""Late events update their old sessions and dates; delayed writes wait for a backfill."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from clickstream.etl import bookkeeping
from clickstream.etl.status import status_report
from clickstream.simulation.raw import SyntheticShop, partition_key, write_objects
from tests.integration.conftest import is_page_view
from tests.integration.test_etl_sessions import expected_sessions

DAY1 = datetime(2026, 11, 10, 9, tzinfo=UTC)


def put(s3, bucket, key, records):
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=gzip.compress(b"".join(orjson.dumps(r) + b"\n" for r in records)),
    )


@pytest.mark.slow
def test_late_events_rebuild_their_old_sessions_and_the_old_dates_aggregates(
    warehouse_db, raw_bucket, run_etl
):
    # Given yesterday's sessions loaded, except the last events of 30 sessions, which a
    # browser held offline and sends a day later (received today, event time yesterday)
    s3, bucket = raw_bucket
    records = list(SyntheticShop(seed=31, bot_share=0).events(3000, DAY1, timedelta(hours=3)))
    by_session: dict[str, list[dict]] = {}
    for record in records:
        by_session.setdefault(record["session_id"], []).append(record)
    held = [events[-1] for events in list(by_session.values())[:30] if len(events) > 1]
    held_ids = {r["event_id"] for r in held}
    write_objects(s3, bucket, [r for r in records if r["event_id"] not in held_ids])
    run_etl(now=DAY1 + timedelta(hours=6))
    views_before = warehouse_db.scalar(
        "select sum(page_views) from agg_traffic_daily where date_day = %s", (DAY1.date(),)
    )
    assert views_before == sum(
        1 for r in records if is_page_view(r) and r["event_id"] not in held_ids
    )

    # When the late events arrive in today's partition
    today = DAY1 + timedelta(days=1, hours=2)
    for record in held:
        record["received_at"] = today.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    put(s3, bucket, partition_key(today, "late"), held)
    summary = run_etl(now=today + timedelta(minutes=10))

    # Then their old sessions are rebuilt to what a full rebuild gives, and yesterday's
    # aggregates are refreshed
    assert summary.rows_inserted == len(held)
    expected = expected_sessions(records)
    for record in held:
        row = warehouse_db.query(
            "select event_count, ended_at, is_bounce, revenue from fact_sessions"
            " where session_id = %s",
            (record["session_id"],),
        )[0]
        want = expected[record["session_id"]]
        assert row == (want["event_count"], want["ended_at"], want["is_bounce"], want["revenue"])
    assert warehouse_db.scalar(
        "select sum(page_views) from agg_traffic_daily where date_day = %s", (DAY1.date(),)
    ) == sum(1 for r in records if is_page_view(r))
    assert (
        warehouse_db.scalar(
            "select count(*) from agg_traffic_daily where date_day = %s", (today.date(),)
        )
        == 0
    )  # no session started today


@pytest.mark.slow
def test_a_delayed_write_is_pending_until_backfill_loads_it(warehouse_db, raw_bucket, run_etl):
    # Given a loaded morning and a watermark that has moved on
    s3, bucket = raw_bucket
    records = list(SyntheticShop(seed=32).events(800, DAY1, timedelta(hours=1)))
    write_objects(s3, bucket, records)
    later = DAY1 + timedelta(hours=8)
    run_etl(now=later)

    # When an object lands in the 09:00 partition, far older than watermark - grace
    shop = SyntheticShop(seed=33)
    delayed = list(shop.events(50, DAY1, timedelta(minutes=30)))
    for record in delayed:
        record["received_at"] = DAY1.strftime("%Y-%m-%dT%H:%M:%S.500Z")
    key = partition_key(DAY1, "delayed-write")
    put(s3, bucket, key, delayed)
    run_etl(now=later)

    # Then the run skips it, and status reports it as needing a backfill
    assert (
        warehouse_db.scalar("select count(*) from etl_manifest where object_key = %s", (key,)) == 0
    )
    conn = bookkeeping.connect(warehouse_db.etl_url)
    try:
        report = status_report(s3, bucket, conn, later, grace_hours=2, days=2)
    finally:
        conn.close()
    assert [(p["key"], p["state"]) for p in report["pending_objects"]] == [
        (key, "pending: needs backfill")
    ]

    # And a backfill of that hour loads it, once
    summary = run_etl("backfill", now=later, first_hour=DAY1, last_hour=DAY1)
    again = run_etl("backfill", now=later, first_hour=DAY1, last_hour=DAY1)
    assert summary.rows_inserted == len(delayed) and again.rows_inserted == 0
    assert warehouse_db.scalar("select count(*) from fact_events") == len(records) + len(delayed)
    conn = bookkeeping.connect(warehouse_db.etl_url)
    try:
        assert (
            status_report(s3, bucket, conn, later, grace_hours=2, days=2)["pending_objects"] == []
        )
    finally:
        conn.close()


@pytest.mark.slow
def test_a_firehose_object_written_late_into_an_earlier_hour_is_still_loaded(
    warehouse_db, raw_bucket, run_etl
):
    """Firehose names the partition after the arrival of the oldest record in a buffer
    but writes the object up to its buffer interval later (at most 900 s): the 10:00
    hour's last buffer can appear at 11:14, after the 11:05 run moved the watermark to
    11:00. The next run rescans ETL_GRACE_HOURS behind the watermark and loads it."""
    from clickstream.etl.config import DEFAULT_GRACE_HOURS
    from clickstream.local.firehose import LOCAL_STREAM_NAME, object_key

    s3, bucket = raw_bucket
    ten = DAY1 + timedelta(hours=1)  # 10:00
    # Given the 10:00 hour loaded by the 11:05 run, which moved the watermark past it
    first = list(SyntheticShop(seed=34, bot_share=0).events(200, ten, timedelta(minutes=50)))
    write_objects(s3, bucket, first)
    run_etl(now=ten + timedelta(hours=1, minutes=5))
    conn = bookkeeping.connect(warehouse_db.etl_url)
    try:
        watermark = bookkeeping.read_watermark(conn)
    finally:
        conn.close()
    assert watermark == ten + timedelta(hours=1)

    # When Firehose delivers, at 11:14, the buffer whose oldest record arrived at 10:59:30
    buffered = list(SyntheticShop(seed=35, bot_share=0).events(40, ten, timedelta(minutes=59)))
    arrival = ten + timedelta(minutes=59, seconds=30)
    for record in buffered:
        record["received_at"] = arrival.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    key = object_key(LOCAL_STREAM_NAME, arrival, "late0buffer")
    assert key.startswith("year=2026/month=11/day=10/hour=10/")
    put(s3, bucket, key, buffered)
    summary = run_etl(now=ten + timedelta(hours=2, minutes=5))

    # Then the 12:05 run loads it into the warehouse (the grace window, 2 h by default,
    # covers Firehose's longest buffer interval of 15 minutes many times over)
    assert DEFAULT_GRACE_HOURS * 3600 > 900
    assert summary.rows_inserted == len(buffered)
    assert (
        warehouse_db.scalar("select status from etl_manifest where object_key = %s", (key,))
        == "loaded"
    )
    assert warehouse_db.scalar("select count(*) from fact_events") == len(first) + len(buffered)
