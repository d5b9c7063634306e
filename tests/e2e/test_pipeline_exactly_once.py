"""The whole pipeline through its real interfaces: shoppers -> HTTP API -> S3 -> scheduled ETL
-> PostgreSQL. Every event the API accepts ends in fact_events exactly once, retries included."""

from __future__ import annotations

import random
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg2
import pytest

from clickstream.simulation.client import ApiClient, build_visit
from tests.conftest import stack_client

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
LOAD_TIMEOUT_S = 90


def wait_for_events(database_url: str, event_ids: list[str]) -> list[tuple[Any, ...]]:
    deadline = time.monotonic() + LOAD_TIMEOUT_S
    with psycopg2.connect(database_url) as connection:
        connection.autocommit = True
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    "select event_id::text, event_type, session_id::text from fact_events"
                    " where event_id::text = any(%s)",
                    (event_ids,),
                )
                rows = cursor.fetchall()
            if len(rows) >= len(event_ids) or time.monotonic() > deadline:
                return rows
            time.sleep(1)


def wait_for_manifest(database_url: str, keys: list[str]) -> int:
    """How many of `keys` the ETL has finished with, once all are or time is up."""
    deadline = time.monotonic() + LOAD_TIMEOUT_S
    with psycopg2.connect(database_url) as connection:
        connection.autocommit = True
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    "select count(*) from etl_manifest where object_key = any(%s) and status = 'loaded'",
                    (keys,),
                )
                done = int(cursor.fetchone()[0])
            if done == len(keys) or time.monotonic() > deadline:
                return done
            time.sleep(1)


def test_accepted_events_reach_the_warehouse_exactly_once(local_stack: dict[str, str]) -> None:
    # Given 30 simulated visits (some bots, some buying) sent through the real API
    rng = random.Random(11)
    visits = [build_visit(rng, datetime.now(UTC) - timedelta(minutes=5)) for _ in range(30)]
    client = ApiClient(local_stack["API_URL"], local_stack["API_KEY"])
    accepted = sum(client.send(visit)[0] for visit in visits)
    events = [event for visit in visits for event in visit.events]
    assert accepted == len(events)
    event_ids = [event["event_id"] for event in events]

    # When the scheduled ETL has run, the browser retries every batch (the API's memory
    # of recent ids absorbs those), and the same batches land again as new objects, as a
    # retry served by another Lambda instance would
    rows = wait_for_events(local_stack["DATABASE_URL"], event_ids)
    for visit in visits:
        client.send(visit)
    s3 = stack_client(local_stack, "s3")
    bucket = local_stack["RAW_BUCKET"]
    copy_keys = []
    for item in s3.list_objects_v2(Bucket=bucket)["Contents"]:
        partition = item["Key"].rpartition("/")[0]
        copy_keys.append(f"{partition}/events-{uuid.uuid4()}.ndjson.gz")
        s3.copy_object(
            Bucket=bucket, Key=copy_keys[-1], CopySource={"Bucket": bucket, "Key": item["Key"]}
        )
    assert wait_for_manifest(local_stack["DATABASE_URL"], copy_keys) == len(copy_keys)
    rows = wait_for_events(local_stack["DATABASE_URL"], event_ids)

    # Then each event is in the warehouse once, and sessions add up
    assert sorted(row[0] for row in rows) == sorted(event_ids)
    with psycopg2.connect(local_stack["DATABASE_URL"]) as connection, connection.cursor() as cursor:
        cursor.execute(
            "select session_id::text, revenue, has_purchase, is_bot from fact_sessions"
            " where session_id::text = any(%s)",
            ([visit.events[0]["session_id"] for visit in visits],),
        )
        sessions = {row[0]: row[1:] for row in cursor.fetchall()}
    expected_revenue: dict[str, Decimal] = defaultdict(Decimal)
    for event in events:
        if event["event_type"] == "purchase":
            ecom = event["ecom"]
            expected_revenue[event["session_id"]] += Decimal(str(ecom["price"])) * ecom["qty"]
    assert len(sessions) == len(visits)
    for visit in visits:
        session_id = visit.events[0]["session_id"]
        revenue, has_purchase, is_bot = sessions[session_id]
        assert Decimal(revenue) == expected_revenue.get(session_id, Decimal(0))
        assert has_purchase == (session_id in expected_revenue)
        assert is_bot == ("Googlebot" in visit.user_agent)
