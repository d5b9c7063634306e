"""Bad input and broken dependencies: clear errors, etl_runs rows, nothing lost, catch-up."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import boto3
import orjson
import psycopg2
import pytest

from clickstream.etl import loader, locks
from clickstream.etl.dependencies import build_dependencies
from clickstream.simulation.raw import SyntheticShop, encode_object, partition_key, write_objects

START = datetime(2026, 11, 15, 10, tzinfo=UTC)
NOW = START + timedelta(hours=3)


def events(count: int, seed: int) -> list[dict]:
    return list(SyntheticShop(seed=seed).events(count, START, timedelta(hours=1)))


@pytest.mark.slow
def test_a_corrupt_object_is_quarantined_bad_rows_are_kept_and_the_rest_loads(
    warehouse_db, raw_bucket, run_etl
):
    # Given good objects, a truncated gzip, garbage bytes, and an object with bad lines
    s3, bucket = raw_bucket
    good = events(600, seed=41)
    write_objects(s3, bucket, good)
    truncated = encode_object(events(100, seed=42))
    s3.put_object(Bucket=bucket, Key=partition_key(START, "truncated"), Body=truncated[:-200])
    s3.put_object(Bucket=bucket, Key=partition_key(START, "garbage"), Body=b"not gzip at all")
    mixed = events(10, seed=43)
    broken = dict(mixed[1], event_type="teleport")
    lines = [orjson.dumps(r) for r in mixed[2:]] + [
        b"{not json",
        orjson.dumps(broken),
        orjson.dumps(dict(mixed[0], raw_version=9)),
        orjson.dumps(dict(mixed[0], ts="2026-02-30T10:00:00Z")),
    ]
    s3.put_object(
        Bucket=bucket, Key=partition_key(START, "mixed"), Body=gzip.compress(b"\n".join(lines))
    )

    # When the ETL runs
    summary = run_etl(now=NOW)

    # Then the two damaged objects are quarantined with a reason, bad lines are rejected
    # with a reason, and every good event is loaded
    assert summary.status == "succeeded"
    assert summary.objects_quarantined == 2
    quarantined = dict(
        warehouse_db.query(
            "select object_key, reason from etl_manifest where status = 'quarantined'"
        )
    )
    assert set(quarantined) == {partition_key(START, "truncated"), partition_key(START, "garbage")}
    assert all(reason.startswith("corrupt gzip") for reason in quarantined.values())
    rejected = [
        r[0]
        for r in warehouse_db.query("select reason from etl_rejected_rows order by line_number")
    ]
    assert len(rejected) == 4 and summary.rows_rejected == 4
    assert rejected[0].startswith("invalid JSON")
    assert "event_type" in rejected[1]
    assert "raw_version 9" in rejected[2]
    assert rejected[3].startswith("ts: not a real")
    assert warehouse_db.scalar("select count(*) from fact_events") == len(good) + len(mixed) - 2


@pytest.mark.slow
def test_a_dead_database_fails_clearly_and_the_next_run_records_it_and_catches_up(
    warehouse_db, raw_bucket, etl_settings
):
    s3, bucket = raw_bucket
    records = events(400, seed=44)
    write_objects(s3, bucket, records)
    deps = build_dependencies(etl_settings, s3=s3)
    deps.now = lambda: NOW

    # Given PostgreSQL is down, when the ETL runs, then it fails saying so
    warehouse_db.cluster.halt()
    try:
        with pytest.raises(
            loader.EtlRunFailed, match=r"cannot connect to PostgreSQL at 127\.0\.0\.1"
        ):
            loader.run_etl(loader.RunRequest(), deps)
    finally:
        warehouse_db.cluster.resume()

    # When it is back, the next run records the failed attempt and loads everything
    summary = loader.run_etl(loader.RunRequest(), deps)
    assert summary.status == "succeeded" and summary.rows_inserted == len(records)
    statuses = warehouse_db.query("select status, error from etl_runs order by started_at")
    assert statuses[0][0] == "failed" and "cannot connect to PostgreSQL" in statuses[0][1]
    assert statuses[-1][0] == "succeeded"


@pytest.mark.slow
def test_unreachable_s3_fails_the_run_with_an_etl_runs_row_and_the_next_run_catches_up(
    warehouse_db, raw_bucket, etl_settings
):
    s3, bucket = raw_bucket
    records = events(300, seed=45)
    write_objects(s3, bucket, records)
    dead_s3 = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9",  # discard port: nothing listens
        region_name="us-east-1",
        config=boto3.session.Config(connect_timeout=1, retries={"max_attempts": 1}),
    )
    deps = build_dependencies(etl_settings, s3=dead_s3)
    deps.now = lambda: NOW

    with pytest.raises(loader.EtlRunFailed, match="S3 unreachable"):
        loader.run_etl(loader.RunRequest(), deps)
    failed = warehouse_db.query("select status, error from etl_runs")
    assert failed[0][0] == "failed" and "S3 unreachable" in failed[0][1]
    assert warehouse_db.scalar("select count(*) from fact_events") == 0

    deps.s3 = s3
    summary = loader.run_etl(loader.RunRequest(), deps)
    assert summary.rows_inserted == len(records)


@pytest.mark.slow
def test_a_second_run_while_one_holds_the_lock_exits_cleanly(warehouse_db, raw_bucket, run_etl):
    s3, bucket = raw_bucket
    write_objects(s3, bucket, events(100, seed=46))
    holder = psycopg2.connect(warehouse_db.etl_url)
    try:
        assert locks.try_run_lock(holder, shared=False)
        summary = run_etl(now=NOW)
    finally:
        holder.close()
    assert summary.status == "skipped"
    assert "another ETL run holds the lock" in (summary.error or "")
    assert warehouse_db.scalar("select count(*) from fact_events") == 0
    assert run_etl(now=NOW).rows_inserted > 0


@pytest.mark.slow
def test_a_spent_time_budget_commits_what_it_has_and_reports_the_backlog(
    warehouse_db, raw_bucket, etl_settings
):
    s3, bucket = raw_bucket
    records = events(2000, seed=47)
    keys = write_objects(s3, bucket, records, events_per_object=100)
    deps = build_dependencies(etl_settings, s3=s3)
    deps.now = lambda: NOW
    deps.time_budget_seconds = 0.001  # spent at once: each run still loads one object

    first = loader.run_etl(loader.RunRequest(), deps)
    assert first.status == "partial"
    assert first.objects_loaded == 1 and first.objects_pending == len(keys) - 1
    assert (
        warehouse_db.scalar(
            "select objects_pending from etl_runs where run_id = %s", (first.run_id,)
        )
        == len(keys) - 1
    )

    deps.time_budget_seconds = 600
    rest = loader.run_etl(loader.RunRequest(), deps)
    assert rest.status == "succeeded" and rest.objects_loaded == len(keys) - 1
    assert warehouse_db.scalar("select count(*) from fact_events") == len(records)


@pytest.mark.slow
def test_parallel_drains_split_a_backlog_without_loading_any_object_twice(
    warehouse_db, raw_bucket, etl_settings
):
    import threading

    s3, bucket = raw_bucket
    records = events(3000, seed=48)
    write_objects(s3, bucket, records, events_per_object=50)
    results: list[loader.RunSummary] = []

    def drain() -> None:
        client = boto3.client("s3", endpoint_url=s3.meta.endpoint_url, region_name="us-east-1")
        deps = build_dependencies(etl_settings, s3=client)
        deps.now = lambda: NOW
        deps.group_max_rows = 200
        results.append(loader.run_etl(loader.RunRequest(mode="drain"), deps))

    threads = [threading.Thread(target=drain) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.rows_inserted for r in results) == len(records)
    assert sum(r.rows_duplicate for r in results) == 0
    assert warehouse_db.scalar("select count(*) from etl_manifest") == sum(
        r.objects_loaded for r in results
    )
