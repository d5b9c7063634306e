"""The raw buffer in the running local stack: the ingest writes to the Firehose
stand-in, which survives kill -9 without losing what it acknowledged."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest

from clickstream.local.firehose import LOCAL_STREAM_NAME
from clickstream.simulation.client import ApiClient, build_visit
from tests.conftest import stack_client
from tests.e2e.test_pipeline_exactly_once import wait_for_events

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
RESTART_TIMEOUT_S = 30


def stand_in_pid(stack: dict[str, str]) -> int:
    return int((Path(stack["STACK_STATE_DIR"]) / "firehose.pid").read_text())


def test_the_stack_writes_raw_events_through_its_delivery_stream(
    local_stack: dict[str, str],
) -> None:
    assert local_stack["DELIVERY_STREAM_NAME"] == LOCAL_STREAM_NAME
    firehose = stack_client(
        {**local_stack, "AWS_ENDPOINT_URL": local_stack["AWS_ENDPOINT_URL_FIREHOSE"]}, "firehose"
    )
    description = firehose.describe_delivery_stream(DeliveryStreamName=LOCAL_STREAM_NAME)
    assert description["DeliveryStreamDescription"]["DeliveryStreamStatus"] == "ACTIVE"


def test_events_acknowledged_before_a_kill_9_reach_the_warehouse_exactly_once(
    local_stack: dict[str, str],
) -> None:
    # Given visits the API accepted (2xx: each batch is in the stand-in's fsynced spool)
    rng = random.Random(14)
    client = ApiClient(local_stack["API_URL"], local_stack["API_KEY"])
    before = [build_visit(rng, datetime.now(UTC) - timedelta(minutes=3)) for _ in range(15)]
    assert all(client.send(visit)[0] for visit in before)

    # When the stand-in is killed with SIGKILL right after, and more visits arrive while
    # the stack brings it back (the ingest retries, then parks what it cannot put)
    old = stand_in_pid(local_stack)
    os.kill(old, signal.SIGKILL)
    during = [build_visit(rng, datetime.now(UTC) - timedelta(minutes=2)) for _ in range(10)]
    assert all(client.send(visit)[0] for visit in during)
    deadline = time.monotonic() + RESTART_TIMEOUT_S
    while stand_in_pid(local_stack) == old and time.monotonic() < deadline:
        time.sleep(0.2)
    assert stand_in_pid(local_stack) != old, "the stack did not restart the stand-in"
    # ... and the operator replays whatever was parked meanwhile into the same stream
    subprocess.run(
        [sys.executable, "-m", "clickstream.cli", "dlq", "replay"],
        env={**os.environ, **local_stack},
        check=True,
        capture_output=True,
        timeout=60,
    )

    # Then every accepted event is in the warehouse exactly once
    event_ids = [event["event_id"] for visit in before + during for event in visit.events]
    rows = wait_for_events(local_stack["DATABASE_URL"], event_ids)
    assert sorted(row[0] for row in rows) == sorted(event_ids)
    with psycopg2.connect(local_stack["DATABASE_URL"]) as connection, connection.cursor() as cursor:
        cursor.execute(
            "select event_id::text from fact_events where event_id::text = any(%s)", (event_ids,)
        )
        assert set(Counter(row[0] for row in cursor.fetchall()).values()) == {1}
