"""`clickstream up`: a migrated PostgreSQL on 127.0.0.1 and the ETL on its schedule."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import boto3
import psycopg2
import pytest

from clickstream.simulation.raw import SyntheticShop, write_objects

pytestmark = [pytest.mark.slow]


def test_the_scheduled_etl_loads_raw_objects_into_the_stack_warehouse(local_stack):
    # Given the running stack and raw objects in its bucket
    assert local_stack["DATABASE_URL"].startswith("postgresql://")
    assert "@127.0.0.1:" in local_stack["DATABASE_URL"]
    s3 = boto3.client(
        "s3",
        endpoint_url=local_stack["AWS_ENDPOINT_URL"],
        region_name=local_stack.get("AWS_DEFAULT_REGION", "us-east-1"),
        aws_access_key_id=local_stack.get("AWS_ACCESS_KEY_ID", "testing"),
        aws_secret_access_key=local_stack.get("AWS_SECRET_ACCESS_KEY", "testing"),
    )
    # Sessions run up to about 25 minutes past their start: an hour back keeps every
    # receive time in the past (20 minutes back put some in the next hour's partition,
    # which no run lists before that hour, so the test failed in each hour's last minutes)
    start = datetime.now(UTC) - timedelta(minutes=60)
    records = list(SyntheticShop(seed=71).events(300, start, timedelta(minutes=10)))
    write_objects(s3, local_stack["RAW_BUCKET"], records, events_per_object=100)
    wanted = {r["event_id"] for r in records}

    # When the scheduler fires (every 2 s in tests), then the events arrive exactly once
    deadline = time.monotonic() + 60
    found = 0
    conn = psycopg2.connect(local_stack["DATABASE_URL"])
    try:
        while time.monotonic() < deadline:
            with conn.cursor() as cur:
                cur.execute(
                    "select count(*) from fact_events where event_id = any(%s::uuid[])",
                    (list(wanted),),
                )
                found = cur.fetchone()[0]
                # Facts commit per group, before the run's finish step records it.
                cur.execute("select trigger from etl_runs where status = 'succeeded' limit 1")
                run = cur.fetchone()
            conn.commit()
            if found == len(wanted) and run is not None:
                break
            time.sleep(0.5)
        assert found == len(wanted)
        assert run is not None and run[0] == "schedule"
    finally:
        conn.close()

    # And the dashboard role reads the aggregates but cannot write
    reader = psycopg2.connect(local_stack["DASHBOARD_DATABASE_URL"])
    try:
        with reader.cursor() as cur:
            cur.execute("select count(*) from agg_traffic_daily")
            assert cur.fetchone()[0] >= 1
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute("delete from fact_events")
    finally:
        reader.close()
