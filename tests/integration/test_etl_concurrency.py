"""Issue 8 class 7: parallel drains, one SIGKILLed, and a finish racing a load."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg2
import pytest

from clickstream.etl import bookkeeping, object_load, raw_store, sessions
from clickstream.simulation.raw import SyntheticShop, encode_object, partition_key, write_objects
from tests.integration.conftest import REPO_ROOT_FOR_TESTS, run_against, warehouse_fingerprint

START = datetime(2026, 11, 27, 9, tzinfo=UTC)


def s3_keys(s3, bucket) -> set[str]:
    keys = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys |= {item["Key"] for item in page.get("Contents", [])}
    return keys


@pytest.mark.slow
def test_parallel_drains_with_one_killed_leave_nothing_behind_the_watermark(
    warehouse_db, second_warehouse, raw_bucket, moto_endpoint
):
    # Given a backlog over many hours, and the clean load of it for reference
    s3, bucket = raw_bucket
    records = list(SyntheticShop(seed=71, late_share=0.05).events(30000, START, timedelta(hours=6)))
    write_objects(s3, bucket, records, events_per_object=200)
    now = datetime.now(UTC)  # the drains below run on the real clock
    run_against(second_warehouse, s3, bucket, now)
    clean = warehouse_fingerprint(second_warehouse)

    # When three drains (real processes) share it and one is SIGKILLed mid-run
    env = {
        **os.environ,
        "RAW_BUCKET": bucket,
        "DATABASE_URL": warehouse_db.etl_url,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "ETL_GROUP_MAX_ROWS": "1000",
        "POWERTOOLS_METRICS_NAMESPACE": "Test",
    }
    drains = [
        subprocess.Popen(
            [sys.executable, "-m", "clickstream.cli", "etl", "run", "--drain"],
            cwd=REPO_ROOT_FOR_TESTS,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(3)
    ]
    victim = drains[0]
    try:
        deadline = time.monotonic() + 120
        while warehouse_db.scalar("select count(*) from etl_manifest") < 20:
            assert victim.poll() is None, "the drain finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        for survivor in drains[1:]:
            survivor.wait(timeout=300)
    finally:
        for process in drains:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert victim.returncode == -signal.SIGKILL

    # Then the watermark has not passed any object missing from the manifest
    recorded = {row[0] for row in warehouse_db.query("select object_key from etl_manifest")}
    missing = s3_keys(s3, bucket) - recorded
    watermark = warehouse_db.scalar("select partition_hour from etl_watermark")
    assert watermark is not None
    for key in missing:
        hour = raw_store.partition_hour_of(key)
        assert hour is not None and hour >= watermark, (key, watermark)

    # And a rerun gives the clean warehouse, with every object in the manifest
    rerun = run_against(warehouse_db, s3, bucket, datetime.now(UTC))
    assert rerun.status == "succeeded"
    assert warehouse_fingerprint(warehouse_db) == clean
    recorded = {row[0] for row in warehouse_db.query("select object_key from etl_manifest")}
    assert s3_keys(s3, bucket) == recorded
    assert warehouse_db.scalar("select count(*) from etl_runs where status = 'abandoned'") == 1


@pytest.mark.slow
def test_a_session_queued_while_a_finish_empties_the_queue_is_rebuilt(
    warehouse_db, raw_bucket, run_etl, monkeypatch
):
    # Given a loaded session, already queued again (with its date) by a committed load
    s3, bucket = raw_bucket
    session = next(iter(SyntheticShop(seed=72).sessions(1, START, timedelta(minutes=5))))
    hour = raw_store.floor_hour(datetime.fromisoformat(session[0]["received_at"]))
    s3.put_object(Bucket=bucket, Key=partition_key(hour, "0-first"), Body=encode_object(session))
    run_etl(now=hour + timedelta(hours=1))
    session_id = session[0]["session_id"]
    count_sql = "select event_count from fact_sessions where session_id = %s"
    assert warehouse_db.scalar(count_sql, (session_id,)) == len(session)
    owner = psycopg2.connect(warehouse_db.owner_url)
    with owner, owner.cursor() as cur:
        cur.execute("insert into etl_dirty_sessions values (%s)", (session_id,))
        cur.execute(
            "insert into etl_dirty_dates select distinct event_date from fact_events"
            " where session_id = %s",
            (session_id,),
        )
    owner.close()

    # When a load of one more event of that session has queued it but not committed
    late = dict(session[-1], event_id=str(uuid.uuid4()))
    key = partition_key(hour, "1-late")
    s3.put_object(Bucket=bucket, Key=key, Body=encode_object([late]))
    reached, release = threading.Event(), threading.Event()
    record_objects = bookkeeping.record_objects

    def paused(*args, **kwargs):
        reached.set()
        assert release.wait(60)
        return record_objects(*args, **kwargs)

    monkeypatch.setattr(bookkeeping, "record_objects", paused)
    load_conn = bookkeeping.connect(warehouse_db.etl_url)
    finish_conn = bookkeeping.connect(warehouse_db.etl_url)
    obj = raw_store.head_object(s3, bucket, key)
    errors: list[BaseException] = []

    def load() -> None:
        try:
            object_load.load_group(
                load_conn,
                [obj],
                lambda o: raw_store.iter_lines(s3, bucket, o.key),
                uuid.uuid4(),
                lambda rows: True,
            )
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    def finish() -> None:
        try:
            sessions.finish(finish_conn)
        except BaseException as error:
            errors.append(error)

    loader = threading.Thread(target=load)
    loader.start()
    assert reached.wait(60)
    # ... and a finish starts meanwhile (it waits for the load, or, without the queue
    # lock, empties the queue at once)
    finisher = threading.Thread(target=finish)
    finisher.start()
    finish_pid = finish_conn.get_backend_pid()
    deadline = time.monotonic() + 60
    while finisher.is_alive() and not warehouse_db.scalar(
        "select count(*) from pg_locks where pid = %s and not granted", (finish_pid,)
    ):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    release.set()
    loader.join(60)
    finisher.join(60)
    load_conn.close()
    finish_conn.close()
    assert not errors, errors

    # Then the session is rebuilt with the late event, now or by the next finish
    conn = bookkeeping.connect(warehouse_db.etl_url)
    try:
        sessions.finish(conn)
    finally:
        conn.close()
    assert warehouse_db.scalar(count_sql, (session_id,)) == len(session) + 1
