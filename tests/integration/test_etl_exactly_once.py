"""Nothing lost, nothing counted twice: re-runs, duplicated objects and events, SIGKILL."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from clickstream.simulation.raw import SyntheticShop, partition_key, write_objects
from tests.integration.conftest import REPO_ROOT_FOR_TESTS, run_against, warehouse_fingerprint

START = datetime(2026, 11, 27, 9, tzinfo=UTC)
NOW = START + timedelta(days=2)  # after the late (a day offline) events arrived


def generated(count: int, seed: int = 11) -> list[dict]:
    return list(SyntheticShop(seed=seed, late_share=0.05).events(count, START, timedelta(hours=3)))


@pytest.mark.slow
def test_loading_twice_and_loading_duplicates_gives_the_clean_warehouse(
    warehouse_db, second_warehouse, raw_bucket, run_etl
):
    # Given events in raw objects, loaded once into a clean reference warehouse
    s3, bucket = raw_bucket
    records = generated(4000)
    keys = write_objects(s3, bucket, records, events_per_object=120)
    reference = run_against(second_warehouse, s3, bucket, NOW)
    assert reference.rows_inserted == len({r["event_id"] for r in records})
    clean = warehouse_fingerprint(second_warehouse)

    # When the same objects are loaded, loaded again, then copies of objects and
    # retried events (same event_id in new objects) arrive and are backfilled
    first = run_etl(now=NOW)
    second = run_etl(now=NOW)
    for key in keys[:5]:  # whole objects duplicated under new keys
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        s3.put_object(Bucket=bucket, Key=key.replace("events-", "events-copy-"), Body=body)
    retried = records[::7]  # single events resent inside other batches
    hour = START + timedelta(hours=4)
    s3.put_object(
        Bucket=bucket,
        Key=partition_key(hour, "retries"),
        Body=gzip.compress(b"".join(orjson.dumps(r) + b"\n" for r in retried + retried[:50])),
    )
    # (they land in old partitions, outside the run's grace window: a backfill picks them up)
    third = run_etl("backfill", now=NOW, first_hour=START, last_hour=NOW)

    # Then every pass ends in the identical warehouse, and duplicates are counted as such
    assert first.rows_inserted == reference.rows_inserted
    assert second.objects_loaded == 0 and second.rows_inserted == 0
    assert third.rows_inserted == 0
    assert third.rows_duplicate == 5 * 120 + len(retried) + 50
    assert warehouse_fingerprint(warehouse_db) == clean
    assert warehouse_db.scalar("select count(*) from fact_events") == len(records)


@pytest.mark.slow
def test_a_sigkilled_run_leaves_a_consistent_warehouse_and_the_rerun_matches_a_clean_run(
    warehouse_db, second_warehouse, raw_bucket, moto_endpoint
):
    # Given a backlog large enough to kill the loader in the middle of it
    s3, bucket = raw_bucket
    records = generated(30000, seed=12)
    write_objects(s3, bucket, records, events_per_object=250)
    run_against(second_warehouse, s3, bucket, NOW)
    clean = warehouse_fingerprint(second_warehouse)

    # When a real ETL process is SIGKILLed after some groups committed, mid-transaction
    env = {
        **os.environ,
        "RAW_BUCKET": bucket,
        "DATABASE_URL": warehouse_db.etl_url,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "ETL_GROUP_MAX_ROWS": "2000",
        "POWERTOOLS_METRICS_NAMESPACE": "Test",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "clickstream.cli", "etl", "run"],
        cwd=REPO_ROOT_FOR_TESTS,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while warehouse_db.scalar("select count(*) from etl_manifest") < 16:
        assert process.poll() is None, "the ETL finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    loaded_at_kill = warehouse_db.scalar("select count(*) from etl_manifest")

    # Then what committed is consistent: every manifest row's events are there, exactly once
    assert 16 <= loaded_at_kill < 120
    in_manifest = warehouse_db.scalar(
        "select coalesce(sum(rows_inserted), 0) from etl_manifest where status = 'loaded'"
    )
    assert warehouse_db.scalar("select count(*) from fact_events") == in_manifest

    # And the next run finishes the job, identical to a clean run; the dead run is marked.
    # The killed run's backend keeps its advisory lock until PostgreSQL notices the closed
    # socket (after the statement it was running); the next scheduled run comes later.
    deadline = time.monotonic() + 60
    held = (
        "select count(*) from pg_locks where locktype = 'advisory'"
        " and database = (select oid from pg_database where datname = current_database())"
    )
    while warehouse_db.scalar(held):
        assert time.monotonic() < deadline, "the killed run's backend kept its lock"
        time.sleep(0.1)
    rerun = run_against(warehouse_db, s3, bucket, NOW)
    assert rerun.status == "succeeded"
    assert warehouse_fingerprint(warehouse_db) == clean
    assert warehouse_db.scalar("select count(*) from etl_runs where status = 'abandoned'") == 1
