"""Compaction merges loaded objects without losing, duplicating or double-loading events."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import pytest

from clickstream.etl import bookkeeping, compact, compact_handler, raw_store
from clickstream.local.scheduler import FakeLambdaContext
from clickstream.simulation.raw import SyntheticShop, write_objects
from tests.integration.conftest import warehouse_fingerprint

HOUR = datetime(2026, 11, 12, 14, tzinfo=UTC)
NOW = HOUR + timedelta(hours=5)


def all_lines(s3, bucket) -> list[bytes]:
    lines = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            lines += [line for line in gzip.decompress(body).split(b"\n") if line]
    return sorted(lines)


@pytest.mark.slow
def test_compaction_keeps_every_event_once_and_the_etl_never_reloads_them(
    warehouse_db, raw_bucket, run_etl
):
    # Given an hour of small loaded objects
    s3, bucket = raw_bucket
    records = list(SyntheticShop(seed=51).events(1500, HOUR, timedelta(minutes=30)))
    keys = write_objects(s3, bucket, records, events_per_object=40)
    run_etl(now=NOW)
    before_lines = all_lines(s3, bucket)
    before = warehouse_fingerprint(warehouse_db)

    # When the hour is compacted (into ~2 objects) and the ETL runs and backfills again
    conn = bookkeeping.connect(warehouse_db.etl_url)
    try:
        summary = compact.compact_hour(s3, bucket, conn, HOUR, target_bytes=60_000)
        again = compact.compact_hour(s3, bucket, conn, HOUR, target_bytes=60_000)
    finally:
        conn.close()
    run = run_etl(now=NOW)
    backfill = run_etl("backfill", now=NOW, first_hour=HOUR, last_hour=HOUR)

    # Then S3 holds exactly the same lines in fewer objects, the manifest knows the
    # merged objects hold loaded events, and the warehouse did not change
    assert summary.objects_merged == len(keys) and 1 < len(summary.objects_written) < len(keys)
    assert summary.records == len(records)
    assert again.objects_written == []
    assert all_lines(s3, bucket) == before_lines
    remaining = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(remaining) == sorted(summary.objects_written)
    assert run.objects_loaded == 0 and backfill.objects_loaded == 0
    assert warehouse_fingerprint(warehouse_db) == before
    statuses = dict(warehouse_db.query("select status, count(*) from etl_manifest group by 1"))
    assert statuses == {"compacted": len(keys), "loaded": len(summary.objects_written)}


@pytest.mark.slow
def test_a_compaction_that_died_midway_is_cleaned_up_and_redone(warehouse_db, raw_bucket, run_etl):
    # Given a compaction that crashed after uploading its merged object but before
    # committing (its 'compacting' manifest row is all that is left of it)
    s3, bucket = raw_bucket
    records = list(SyntheticShop(seed=52).events(400, HOUR, timedelta(minutes=50)))
    keys = write_objects(s3, bucket, records, events_per_object=50)
    run_etl(now=NOW)
    conn = bookkeeping.connect(warehouse_db.etl_url)
    try:
        original = compact._merge_chunk
        calls = []

        def crash_after_upload(*args, **kwargs):
            calls.append(1)
            key, _ = original(*args, **kwargs)
            # simulate the crash: undo the commit of step 3, keep the uploaded object
            with conn.cursor() as cur:
                cur.execute(
                    "update etl_manifest set status = 'loaded', compacted_into = null"
                    " where compacted_into = %s",
                    (key,),
                )
                cur.execute(
                    "update etl_manifest set status = 'compacting' where object_key = %s", (key,)
                )
            conn.commit()
            raise RuntimeError("killed")

        compact._merge_chunk = crash_after_upload
        with pytest.raises(RuntimeError, match="killed"):
            compact.compact_hour(s3, bucket, conn, HOUR)
        compact._merge_chunk = original

        # When the ETL runs meanwhile and the compaction is retried
        assert run_etl(now=NOW).objects_loaded == 0
        summary = compact.compact_hour(s3, bucket, conn, HOUR)
    finally:
        compact._merge_chunk = original
        conn.close()

    # Then the half-done object was discarded, and every event is in S3 and the warehouse once
    assert summary.recovered == 1 and summary.objects_merged == len(keys)
    assert len(all_lines(s3, bucket)) == len(records)
    assert warehouse_db.scalar("select count(*) from fact_events") == len(records)
    assert warehouse_db.scalar("select count(*) from etl_manifest where status = 'compacting'") == 0


class RefusingS3:
    """A real (moto) S3 client whose DeleteObjects refuses some keys, as S3 does in a 200
    response listing per-key Errors; `refusals[key]` is how many calls refuse it."""

    def __init__(self, real, refusals: dict[str, int]) -> None:
        self.real = real
        self.refusals = refusals

    def __getattr__(self, name):
        return getattr(self.real, name)

    def delete_objects(self, Bucket, Delete):
        keys = [item["Key"] for item in Delete["Objects"]]
        refused = [key for key in keys if self.refusals.get(key, 0) > 0]
        for key in refused:
            self.refusals[key] -= 1
        allowed = [key for key in keys if key not in refused]
        if allowed:
            self.real.delete_objects(
                Bucket=Bucket, Delete={"Objects": [{"Key": k} for k in allowed], "Quiet": True}
            )
        return {
            "Errors": [
                {"Key": key, "Code": "InternalError", "Message": "We encountered an internal error"}
                for key in refused
            ]
        }


def scheduled_event() -> dict:
    return {
        "version": "0",
        "id": "c0ffee00-0000-0000-0000-000000000000",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": "2026-12-01T03:00:00Z",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/clickstream-compact"],
        "detail": {},
    }


@pytest.mark.slow
def test_the_scheduled_lambda_compacts_every_closed_hour_bounded_per_run(
    warehouse_db, raw_bucket, run_etl, monkeypatch
):
    # Given five closed hours of small loaded objects, the current hour's objects, and an
    # abandoned merged object (a compaction that died after its upload) in a closed hour
    s3, bucket = raw_bucket
    now = datetime.now(UTC)
    current = now.replace(minute=0, second=0, microsecond=0)
    closed = [current - timedelta(hours=h) for h in (12, 10, 9, 7, 6)]
    keys = []
    for n, hour in enumerate([*closed, current]):
        span = timedelta(minutes=min(30, max(1, int((now - hour).total_seconds() // 120))))
        records = list(SyntheticShop(seed=90 + n).events(200, hour, span))
        keys += write_objects(s3, bucket, records, events_per_object=25)
    run_etl(now=now)
    before_lines = all_lines(s3, bucket)
    before = warehouse_fingerprint(warehouse_db)
    current_keys = {k for k in keys if raw_store.partition_hour_of(k) == current}
    abandoned_hour = current - timedelta(hours=20)
    abandoned = f"{raw_store.partition_prefix(abandoned_hour)}compacted-abandoned.ndjson.gz"
    s3.put_object(Bucket=bucket, Key=abandoned, Body=gzip.compress(b"half written"))
    owner = bookkeeping.connect(warehouse_db.owner_url)
    with owner.cursor() as cur:
        cur.execute(
            "insert into etl_manifest (object_key, etag, size_bytes, partition_hour, status)"
            " values (%s, '', 0, %s, 'compacting')",
            (abandoned, abandoned_hour),
        )
    owner.commit()
    owner.close()
    # (the abandoned object's bytes are not events: leave them out of the line comparison)
    before_lines = [line for line in before_lines if line != b"half written"]

    # When the scheduled Lambda runs (no input but the schedule's event), 4 hours per run
    monkeypatch.setenv("RAW_BUCKET", bucket)
    monkeypatch.setenv("DATABASE_URL", warehouse_db.etl_url)
    monkeypatch.setenv("COMPACT_MAX_HOURS", "4")
    monkeypatch.setenv("COMPACT_TARGET_MB", "1")
    first = compact_handler.lambda_handler(scheduled_event(), FakeLambdaContext())
    second = compact_handler.lambda_handler(scheduled_event(), FakeLambdaContext())
    third = compact_handler.lambda_handler(scheduled_event(), FakeLambdaContext())

    # Then the first run took the 4 oldest hours (the abandoned one first), the second
    # the rest, the third found nothing; the current hour is left alone
    assert [h["hour"] for h in first["hours"]] == [
        hour.isoformat() for hour in [abandoned_hour, *closed[:3]]
    ]
    assert first["hours_pending"] == 2
    assert [h["hour"] for h in second["hours"]] == [hour.isoformat() for hour in closed[3:]]
    assert third["hours"] == [] and third["hours_pending"] == 0
    assert first["hours"][0]["recovered"] == 1
    assert first["objects_merged"] + second["objects_merged"] == len(keys) - len(current_keys)
    remaining = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert abandoned not in remaining
    assert current_keys <= remaining
    assert len(remaining) == len(current_keys) + len(closed)
    # and nothing was lost, duplicated or reloaded
    assert all_lines(s3, bucket) == sorted(before_lines)
    assert run_etl(now=now).objects_loaded == 0
    assert warehouse_fingerprint(warehouse_db) == before
    assert (
        warehouse_db.scalar(
            "select count(*) from etl_manifest where status = 'compacted' and deleted_at is null"
        )
        == 0
    )
    assert (
        warehouse_db.scalar("select count(*) from etl_manifest where object_key = %s", (abandoned,))
        == 0
    )


@pytest.mark.slow
def test_delete_objects_errors_are_retried_then_reported_and_cleaned_up_later(
    warehouse_db, raw_bucket, run_etl, monkeypatch
):
    # Given an hour of loaded small objects
    s3, bucket = raw_bucket
    records = list(SyntheticShop(seed=53).events(400, HOUR, timedelta(minutes=50)))
    keys = write_objects(s3, bucket, records, events_per_object=50)
    run_etl(now=NOW)
    before = warehouse_fingerprint(warehouse_db)
    monkeypatch.setattr(compact, "DELETE_RETRY_SECONDS", 0.0)

    # When S3 refuses to delete one source once, and another every time
    flaky, stubborn = keys[1], keys[2]
    refusing = RefusingS3(s3, {flaky: 1, stubborn: 99})
    conn = bookkeeping.connect(warehouse_db.etl_url)
    try:
        summary = compact.compact_hour(refusing, bucket, conn, HOUR)
    finally:
        conn.close()

    # Then the flaky one was retried and deleted, the stubborn one is reported and stays
    # recorded as merged, so no run loads it again
    assert summary.objects_merged == len(keys)
    assert [e["key"] for e in summary.delete_errors] == [stubborn]
    assert summary.delete_errors[0]["code"] == "InternalError"
    assert summary.sources_deleted == len(keys) - 1
    remaining = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert remaining == set(summary.objects_written) | {stubborn}
    assert run_etl(now=NOW).objects_loaded == 0
    assert warehouse_fingerprint(warehouse_db) == before
    assert warehouse_db.query(
        "select status, deleted_at is null from etl_manifest where object_key = %s", (stubborn,)
    ) == [("compacted", True)]
    conn = bookkeeping.connect(warehouse_db.etl_url)
    try:
        assert compact.hours_to_compact(conn, NOW, grace_hours=2, lookback_days=7) == [HOUR]
        # And the next compaction of the hour deletes it once S3 lets it
        again = compact.compact_hour(s3, bucket, conn, HOUR)
        assert compact.hours_to_compact(conn, NOW, grace_hours=2, lookback_days=7) == []
    finally:
        conn.close()
    assert again.sources_deleted == 1 and again.delete_errors == []
    assert len(all_lines(s3, bucket)) == len(records)
    assert {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]} == set(
        summary.objects_written
    )
    assert warehouse_fingerprint(warehouse_db) == before
