"""Alarms fire locally from the deployed definitions: a broken pipeline pages, then recovers;
a warehouse that is not loaded pages through the freshness alarm, then recovers.

The first test runs a stack of its own (`clickstream up` as a subprocess, alarm periods shortened to a few
seconds), since this test stops its database. The notifications are read the way an
e-mail subscriber would get them: an SQS queue subscribed to ALERTS_TOPIC_ARN.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from clickstream.envfile import read_env_file, read_notifications
from clickstream.etl.batch import run_batch
from clickstream.etl.handler import request_from_event
from clickstream.etl.run_metrics import metrics
from clickstream.local.alarms import (
    ALARM_PREFIX,
    AlarmEvaluator,
    EmfForwarder,
    alarm_parameters,
    load_definitions,
    local_names,
)
from clickstream.local.postgres import LocalCluster
from clickstream.simulation.raw import SyntheticShop, write_objects
from tests.conftest import REPO_ROOT, STACK_START_TIMEOUT_S, stack_client
from tests.unit.conftest import sample_event

pytestmark = [pytest.mark.slow]


def own_environment(**extra: str) -> dict[str, str]:
    """This process's environment without AWS settings: another test's moto endpoint
    (the session fixture exports one) must not override the stack's own."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **extra}


@pytest.fixture
def alarm_stack(tmp_path: Path) -> Iterator[dict[str, Any]]:
    state_dir = tmp_path / "stack"
    state_dir.mkdir()
    command = [
        sys.executable, "-m", "clickstream.cli", "up", "--state-dir", str(state_dir),
        "--aws-port", "0", "--api-port", "0", "--site-port", "0", "--pg-port", "0",
        "--dashboard-port", "0", "--etl-interval", "1",
    ]  # fmt: skip
    log = (tmp_path / "stack.log").open("wb")
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT,
        env=own_environment(LOCAL_ALARM_PERIOD_SECONDS="4"),
    )  # fmt: skip
    env_file = state_dir / "stack.env"
    deadline = time.monotonic() + STACK_START_TIMEOUT_S
    while not env_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("stack did not start: " + (tmp_path / "stack.log").read_text()[-3000:])
        time.sleep(0.2)
    try:
        yield {**read_env_file(env_file), "state_dir": str(state_dir)}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def post_events(stack: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any]:
    request = urllib.request.Request(
        stack["API_URL"].rstrip("/") + "/v1/events",
        data=json.dumps({"events": events}).encode(),
        headers={"content-type": "application/json", "x-api-key": stack["API_KEY"]},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        result: dict[str, Any] = json.loads(response.read())
    return result


def fresh(name: str) -> dict[str, Any]:
    event = copy.deepcopy(sample_event(name))
    event["event_id"] = str(uuid.uuid4())
    event["ts"] = datetime.now(UTC).isoformat(timespec="milliseconds")
    return event


def wait_for_notification(
    sqs: Any, queue_url: str, alarm: str, state: str, timeout: float = 90
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        for message in sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            body = json.loads(message["Body"])
            note = json.loads(body.get("Message", "{}")) if "Message" in body else body
            seen.append((note.get("AlarmName"), note.get("NewStateValue")))
            if note.get("AlarmName") == alarm and note.get("NewStateValue") == state:
                return note
    raise AssertionError(f"no {state} notification for {alarm}; saw {seen}")


def cli(stack: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clickstream.cli", *args, "--state-dir", stack["state_dir"]],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
        env=own_environment(LOG_LEVEL="WARNING"),
    )  # fmt: skip


def test_a_broken_pipeline_raises_alarms_that_notify_the_topic_and_recover(alarm_stack):
    stack = alarm_stack
    assert stack["ALERTS_TOPIC_ARN"] == stack["SNS_TOPIC_ARN"]
    sqs, sns = stack_client(stack, "sqs"), stack_client(stack, "sns")
    inbox = sqs.create_queue(QueueName="alerts-inbox-" + uuid.uuid4().hex[:6])["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=stack["ALERTS_TOPIC_ARN"],
        Protocol="sqs",
        Endpoint=inbox_arn,
        Attributes={"RawMessageDelivery": "true"},
    )

    # Given events the schema rejects: the ingest dead-letters them
    bad = fresh("direct_page_view")
    bad["event_type"] = "not-a-known-type"
    result = post_events(stack, [bad])
    assert len(result["rejected"]) == 1
    # Then the DLQ-depth alarm (the deployed definition) goes to ALARM and notifies
    note = wait_for_notification(sqs, inbox, "clickstream-local-ingest-dlq-depth", "ALARM")
    assert note["Trigger"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert note["OldStateValue"] == "OK"
    listed = cli(stack, "alerts", "--json")
    assert listed.returncode == 0, listed.stderr
    alerts = json.loads(listed.stdout)
    states = {a["name"]: a["state"] for a in alerts["alarms"]}
    assert states["clickstream-local-ingest-dlq-depth"] == "ALARM"
    assert any(n["NewStateValue"] == "ALARM" for n in alerts["notifications"])
    # And recovers when the queue is dealt with
    sqs.purge_queue(QueueUrl=stack["DLQ_URL"])
    wait_for_notification(sqs, inbox, "clickstream-local-ingest-dlq-depth", "OK")

    # When the database stops while events arrive
    cluster = LocalCluster(int(stack["PG_PORT"]))
    cluster.base_dir = Path(stack["PG_DATA_DIR"]).parent
    cluster.halt()
    try:
        assert post_events(stack, [fresh("direct_page_view")])["accepted"] == 1
        # Then the ETL's failed runs (EtlFailed via EMF) put etl-failed in ALARM
        note = wait_for_notification(sqs, inbox, "clickstream-local-etl-failed", "ALARM")
        assert note["Trigger"]["Namespace"] == "Clickstream"
        text = cli(stack, "alerts")
        assert "ALARM             clickstream-local-etl-failed" in text.stdout
        down = cli(stack, "status")
        assert down.returncode == 2 and "UNKNOWN" in down.stdout
    finally:
        cluster.resume()
    # And once the database is back, the runs succeed and the alarm returns to OK
    wait_for_notification(sqs, inbox, "clickstream-local-etl-failed", "OK")
    assert cli(stack, "status").returncode == 0


def test_freshness_alarms_when_no_load_happens_and_recovers_after_a_load(
    moto_endpoint, raw_bucket, etl_settings, warehouse_db, tmp_path, monkeypatch
):
    # Given the deployed data-freshness definition (missing data = breaching, two periods
    # of the default 120-minute objective) evaluated against moto with 2-second periods
    monkeypatch.delenv("FRESHNESS_OBJECTIVE_MINUTES", raising=False)
    cloudwatch, sns, sqs = (boto3.client(name) for name in ("cloudwatch", "sns", "sqs"))
    topic = sns.create_topic(Name="alerts-" + uuid.uuid4().hex[:6])["TopicArn"]
    inbox = sqs.create_queue(QueueName="fresh-inbox-" + uuid.uuid4().hex[:6])["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn,
        Attributes={"RawMessageDelivery": "true"},
    )  # fmt: skip
    definition = load_definitions()["data-freshness"]
    assert definition["treat_missing_data"] == "breaching"
    evaluator = AlarmEvaluator(
        cloudwatch, sns, topic, local_names({}), tmp_path, period_seconds=2,
        definitions={"data-freshness": definition}, parameters=alarm_parameters({}),
    )  # fmt: skip
    evaluator.create()
    alarm = ALARM_PREFIX + "data-freshness"
    assert evaluator.alarms["data-freshness"]["evaluation_periods"] == 2
    assert evaluator.evaluate() == [], "a stack that has just started has missed no load"

    # When no load happens for two periods
    deadline = time.monotonic() + 60
    changes: list[dict[str, Any]] = []
    while not changes and time.monotonic() < deadline:
        time.sleep(0.5)
        changes = evaluator.evaluate()
    # Then the alarm goes to ALARM and the topic hears it
    assert [(c["AlarmName"], c["NewStateValue"]) for c in changes] == [(alarm, "ALARM")]
    assert "[no data]" in changes[0]["NewStateReason"]
    note = wait_for_notification(sqs, inbox, alarm, "ALARM")
    assert note["Trigger"]["MetricName"] == "DataFreshnessMinutes"
    assert note["Trigger"]["TreatMissingData"] == "breaching"
    assert cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateValue"] == (
        "ALARM"
    )

    # When the ETL loads new events (the handler's code path; its EMF record goes through
    # the local stack's forwarder into CloudWatch)
    s3, bucket = raw_bucket
    start = datetime.now(UTC) - timedelta(minutes=30)
    write_objects(s3, bucket, SyntheticShop(seed=1212).events(40, start, timedelta(minutes=20)))
    forwarder = EmfForwarder(sys.stdout, cloudwatch)
    monkeypatch.setattr(sys, "stdout", forwarder)
    summary = run_batch(etl_settings, request_from_event({"source": "schedule"}))
    metrics.flush_metrics()
    monkeypatch.setattr(sys, "stdout", forwarder.stream)
    assert summary["status"] == "succeeded" and summary["rows_inserted"] >= 40
    assert forwarder.forwarded > 0
    assert warehouse_db.scalar("select count(*) from fact_events") == summary["rows_inserted"]

    # Then the next evaluation finds the datapoint and the alarm returns to OK, once
    changes = evaluator.evaluate()
    assert [(c["AlarmName"], c["NewStateValue"]) for c in changes] == [(alarm, "OK")]
    wait_for_notification(sqs, inbox, alarm, "OK")
    assert evaluator.evaluate() == []
    recorded = [(n["AlarmName"], n["NewStateValue"]) for n in read_notifications(tmp_path)]
    assert recorded == [(alarm, "ALARM"), (alarm, "OK")]
