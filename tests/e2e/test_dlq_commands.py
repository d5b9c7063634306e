"""`clickstream dlq inspect` and `clickstream dlq replay` as an operator runs them."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import time

import pytest

from tests.conftest import stack_client as client
from tests.e2e.test_ingest_stack import new_event, request

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def run_cli(stack: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "clickstream.cli", *args],
        env={**os.environ, **stack},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def test_inspect_counts_by_reason_without_consuming_and_replay_restores_parked_batches(
    local_stack: dict[str, str],
) -> None:
    sqs = client(local_stack, "sqs")
    sqs.purge_queue(QueueUrl=local_stack["DLQ_URL"])
    sqs.purge_queue(QueueUrl=local_stack["PARKING_QUEUE_URL"])
    # Given a client mistake in the dead-letter queue and a batch parked by an S3 outage
    # in the parking queue
    status, _, _ = request(
        local_stack,
        {"events": [new_event(event_type="nope")]},
        {"x-api-key": local_stack["API_KEY"]},
    )
    assert status == 202
    parked = {**new_event(), "raw_version": 1, "received_at": "2026-11-28T10:00:00.000Z"}
    sqs.send_message(
        QueueUrl=local_stack["PARKING_QUEUE_URL"],
        MessageBody=json.dumps({"reason": "storage_failure", "record": parked, "index": None}),
    )

    # When the operator inspects, then replays
    report = run_cli(local_stack, "dlq", "inspect")
    replay = run_cli(local_stack, "dlq", "replay")

    # Then inspect showed both queues, replay wrote the parked record to S3 and left the
    # mistake where it was
    assert "parking queue: 1 messages" in report and "1  storage_failure" in report
    assert "dead-letter queue: 1 messages" in report and "1  schema_violation" in report
    assert "parking queue: replayed 1 records in 1 writes" in replay
    assert "left in the dead-letter queue: 1 schema_violation" in replay
    # The replay went through the stack's delivery stream (DELIVERY_STREAM_NAME), which
    # delivers after its buffer interval: wait for it, bounded.
    s3 = client(local_stack, "s3")
    deadline = time.monotonic() + 30
    while True:
        found = []
        for item in s3.list_objects_v2(Bucket=local_stack["RAW_BUCKET"]).get("Contents", []):
            body = s3.get_object(Bucket=local_stack["RAW_BUCKET"], Key=item["Key"])["Body"]
            found += [
                json.loads(line)["event_id"] for line in gzip.decompress(body.read()).splitlines()
            ]
        if parked["event_id"] in found or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert found.count(parked["event_id"]) == 1
    remaining = run_cli(local_stack, "dlq", "inspect")
    assert "schema_violation" in remaining and "storage_failure" not in remaining


def test_simulate_sends_visits_to_the_stack(local_stack: dict[str, str]) -> None:
    env_file = f"{local_stack['STACK_STATE_DIR']}/stack.env"
    output = run_cli(
        local_stack, "simulate", "--env-file", env_file, "--sessions", "5", "--seed", "1"
    )
    match = re.search(r"visits (\d+)\s+events accepted (\d+)\s+rejected (\d+)", output)
    assert match, output
    visits, accepted, rejected = (int(group) for group in match.groups())
    assert (visits, rejected) == (5, 0) and accepted > 5


def test_simulate_history_sends_past_days_through_the_api_and_etl(
    local_stack: dict[str, str],
) -> None:
    import time

    import psycopg2

    env_file = f"{local_stack['STACK_STATE_DIR']}/stack.env"
    result = subprocess.run(
        [sys.executable, "-m", "clickstream.cli", "simulate", "--env-file", env_file,
         "--history-days", "3", "--sessions-per-day", "4", "--seed", "2"],
        env={**os.environ, **local_stack}, capture_output=True, text=True, timeout=120,
        check=True,
    )  # fmt: skip
    assert re.search(r"rejected 0$", result.stdout.strip()), result.stdout
    assert "history: " in result.stderr and "visits" in result.stderr  # progress
    # The scheduled ETL (every 2 s) turns them into sessions on the three past days.
    deadline = time.monotonic() + 60
    while True:
        with psycopg2.connect(local_stack["DATABASE_URL"]) as conn, conn.cursor() as cur:
            cur.execute(
                "select count(distinct date_day) from agg_traffic_daily"
                " where date_day between current_date - 3 and current_date - 1"
            )
            days = cur.fetchone()[0]
        if days == 3:
            break
        assert time.monotonic() < deadline, f"only {days} past days reached the aggregates"
        time.sleep(1)
    too_far = run_cli_status(local_stack, "--history-days", "22")
    assert too_far.returncode == 2 and "30-day" in too_far.stdout


def run_cli_status(stack: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env_file = f"{stack['STACK_STATE_DIR']}/stack.env"
    return subprocess.run(
        [sys.executable, "-m", "clickstream.cli", "simulate", "--env-file", env_file, *args],
        env={**os.environ, **stack}, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
