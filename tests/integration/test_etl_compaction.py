"""Compaction merges loaded objects without losing, duplicating or double-loading events."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import pytest

from clickstream.etl import compact, warehouse
from clickstream.etl.synthetic import SyntheticShop, write_objects
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
    conn = warehouse.connect(warehouse_db.etl_url)
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
    conn = warehouse.connect(warehouse_db.etl_url)
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
