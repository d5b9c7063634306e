"""Each ETL run records the ingest side's health for the Reliability module: DLQ depth from
SQS (without consuming), the ingest Lambda's and the ingest's own CloudWatch figures,
with moto's SQS and CloudWatch up, and with them unreachable (the run still succeeds)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import psycopg2
import pytest

from clickstream.etl import reliability
from clickstream.etl.batch import run_batch
from clickstream.etl.loader import RunRequest
from clickstream.etl.reliability import ReliabilitySettings
from clickstream.local.settings import LOOPBACK, free_port
from clickstream.simulation.raw import SyntheticShop, write_objects
from tests.integration.test_dashboard_aggregates import panel

FUNCTION = "clickstream-test-ingest"


def client(service: str, endpoint: str):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1")


@pytest.fixture
def ingest_side(moto_endpoint):
    """A DLQ holding 3 rejected events, a parking queue holding 1 batch, and the metrics
    the ingest Lambda and its EMF lines put into CloudWatch 10 minutes ago."""
    sqs = client("sqs", moto_endpoint)
    suffix = uuid.uuid4().hex[:8]
    dlq = sqs.create_queue(QueueName=f"ingest-dlq-{suffix}")["QueueUrl"]
    parking = sqs.create_queue(QueueName=f"ingest-parking-{suffix}")["QueueUrl"]
    for reason in ("schema_violation", "schema_violation", "size_violation"):
        sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"reason": reason}))
    sqs.send_message(QueueUrl=parking, MessageBody="{}")
    cloudwatch = client("cloudwatch", moto_endpoint)
    when = datetime.now(UTC) - timedelta(minutes=10)
    function = [{"Name": "FunctionName", "Value": FUNCTION}]
    service = [{"Name": "service", "Value": "ingest"}]
    data = [
        ("AWS/Lambda", "Invocations", function, 50), ("AWS/Lambda", "Errors", function, 2),
        ("AWS/Lambda", "Throttles", function, 1), ("Clickstream", "EventsAccepted", service, 400),
        ("Clickstream", "EventsRejected", service, 7),
        ("Clickstream", "EventsRejected", [*service, {"Name": "reason", "Value": "schema_violation"}], 5),
        ("Clickstream", "EventsRejected", [*service, {"Name": "reason", "Value": "size_violation"}], 2),
        # another function's figures must not be counted
        ("AWS/Lambda", "Errors", [{"Name": "FunctionName", "Value": "other"}], 99),
    ]  # fmt: skip
    for namespace, name, dimensions, value in data:
        cloudwatch.put_metric_data(
            Namespace=namespace,
            MetricData=[
                {"MetricName": name, "Dimensions": dimensions, "Value": value, "Timestamp": when}
            ],
        )
    settings = ReliabilitySettings(
        dlq_url=dlq, parking_queue_url=parking, ingest_function_name=FUNCTION
    )
    return settings, sqs, dlq


def load_some(raw_bucket) -> None:
    s3, bucket = raw_bucket
    now = datetime.now(UTC)
    write_objects(
        s3,
        bucket,
        SyntheticShop(seed=3).events(300, now - timedelta(hours=1), timedelta(minutes=30)),
    )


def test_a_run_records_dlq_depth_and_cloudwatch_figures(
    warehouse_db, raw_bucket, etl_settings, ingest_side
):
    settings, sqs, dlq = ingest_side
    load_some(raw_bucket)

    summary = run_batch(etl_settings, RunRequest(trigger="schedule"), health=settings)

    row = warehouse_db.query(
        "select dlq_depth, dlq_in_flight, parking_depth, ingest_invocations, ingest_errors,"
        " ingest_throttles, events_accepted, events_rejected, rejected_by_reason,"
        " cloudwatch_error, sqs_error, dlq_note from etl_reliability_snapshots where run_id = %s",
        (summary["run_id"],),
    )[0]
    assert row[:8] == (3, 0, 1, 50, 2, 1, 400, 7)
    assert row[8] == {"schema_violation": 5, "size_violation": 2}
    assert row[9] is None and row[10] is None
    assert "total only" in row[11]
    # Reading the depth consumed nothing.
    attributes = sqs.get_queue_attributes(
        QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"]
    )
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "3"
    # The hourly figures are there for the charts, zero-filled for hours without data.
    hourly = warehouse_db.query(
        "select metric, reason, sum(value), count(*) from agg_ingest_hourly group by 1, 2"
    )
    by_metric = {(m, r): (int(v), n) for m, r, v, n in hourly}
    assert by_metric[("Invocations", "")] == (50, reliability.HOURS_FETCHED)
    assert by_metric[("EventsRejected", "size_violation")][0] == 2
    # The dashboard reads it all as the reader role, with the run's own figures.
    status = panel(warehouse_db, "reliability_status")[0]
    assert (status["dlq_depth"], status["ingest_errors"]) == (3, 2)
    assert float(status["ingest_error_rate"]) == pytest.approx(2 / 50)
    runs = panel(warehouse_db, "reliability_runs", date_from=datetime.now(UTC).date(),
                 date_to=datetime.now(UTC).date())  # fmt: skip
    assert runs[0]["rows_inserted"] == summary["rows_inserted"] > 0
    assert runs[0]["ingest_invocations"] == 50


def test_unreachable_cloudwatch_and_sqs_never_fail_the_run(
    warehouse_db, raw_bucket, etl_settings, ingest_side, monkeypatch
):
    settings, _, _ = ingest_side
    dead = f"http://{LOOPBACK}:{free_port()}"  # nothing listens there
    monkeypatch.setattr(
        reliability, "aws_client", lambda service: reliability_client(service, dead)
    )
    load_some(raw_bucket)

    summary = run_batch(etl_settings, RunRequest(trigger="schedule"), health=settings)

    assert summary["status"] == "succeeded" and summary["rows_inserted"] > 0
    row = warehouse_db.query(
        "select dlq_depth, ingest_invocations, events_accepted, cloudwatch_error, sqs_error"
        " from etl_reliability_snapshots where run_id = %s",
        (summary["run_id"],),
    )[0]
    assert row[:3] == (None, None, None)
    assert row[3].startswith("CloudWatch unreachable or refused: EndpointConnectionError")
    assert row[4].startswith("SQS unreachable or refused: EndpointConnectionError")
    alarms_error = warehouse_db.scalar(
        "select alarms_error from etl_reliability_snapshots where run_id = %s",
        (summary["run_id"],),
    )
    assert alarms_error.startswith("CloudWatch alarms unreachable or refused: EndpointConnection")
    assert warehouse_db.scalar("select count(*) from etl_alarm_states") == 0
    assert warehouse_db.scalar("select count(*) from agg_ingest_hourly") == 0


def reliability_client(service: str, endpoint: str):
    from botocore.config import Config

    config = Config(connect_timeout=1, read_timeout=1, retries={"max_attempts": 1})
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", config=config)


def test_without_configuration_no_aws_call_is_made_and_the_gap_is_stated(
    warehouse_db, raw_bucket, etl_settings, monkeypatch
):
    def refuse(service: str):
        raise AssertionError(f"{service} must not be called")

    monkeypatch.setattr(reliability, "aws_client", refuse)
    load_some(raw_bucket)
    summary = run_batch(etl_settings, RunRequest(trigger="schedule"), health=ReliabilitySettings())
    note = warehouse_db.scalar(
        "select sqs_error from etl_reliability_snapshots where run_id = %s", (summary["run_id"],)
    )
    assert note == reliability.NOT_CONFIGURED


def test_a_run_records_the_alarm_states_and_the_dashboard_lists_alarm_first(
    warehouse_db, raw_bucket, etl_settings, ingest_side, moto_endpoint
):
    settings, _, _ = ingest_side
    prefix = f"clickstream-test-{uuid.uuid4().hex[:8]}-"
    cloudwatch = client("cloudwatch", moto_endpoint)
    for name in ("api-5xx", "data-freshness"):
        cloudwatch.put_metric_alarm(
            AlarmName=prefix + name, Namespace="Clickstream", MetricName="EventsAccepted",
            Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1,
            ComparisonOperator="LessThanThreshold",
        )  # fmt: skip
    cloudwatch.set_alarm_state(
        AlarmName=prefix + "data-freshness", StateValue="ALARM", StateReason="no run for 3 h"
    )
    cloudwatch.set_alarm_state(AlarmName=prefix + "api-5xx", StateValue="OK", StateReason="fine")
    # another stack's alarm is not the ETL's business
    cloudwatch.put_metric_alarm(
        AlarmName="other-stack-alarm", Namespace="Clickstream", MetricName="EventsAccepted",
        Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1,
        ComparisonOperator="LessThanThreshold",
    )  # fmt: skip
    load_some(raw_bucket)
    health = ReliabilitySettings(
        dlq_url=settings.dlq_url, parking_queue_url=settings.parking_queue_url,
        ingest_function_name=FUNCTION, alarm_name_prefix=prefix,
    )  # fmt: skip

    summary = run_batch(etl_settings, RunRequest(trigger="schedule"), health=health)

    rows = warehouse_db.query(
        "select alarm_name, state, reason, state_updated_at is not null from etl_alarm_states"
        " where run_id = %s order by alarm_name",
        (summary["run_id"],),
    )
    assert [(r[0], r[1]) for r in rows] == [
        (prefix + "api-5xx", "OK"),
        (prefix + "data-freshness", "ALARM"),
    ]
    assert rows[1][2] == "no run for 3 h" and rows[1][3]
    assert (
        warehouse_db.scalar(
            "select alarms_error from etl_reliability_snapshots where run_id = %s",
            (summary["run_id"],),
        )
        is None
    )
    # A business alert firing now (after the run, whose own check would re-evaluate it).
    conn = psycopg2.connect(warehouse_db.owner_url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(
                "insert into business_alert_state (rule, firing, since, last_value, last_message)"
                " values ('no_purchases', true, now() - interval '2 hours', 0,"
                " 'No purchase for 6 h'), ('traffic_drop', false, now(), 1, 'Traffic back')"
            )
    finally:
        conn.close()
    # The dashboard's table, as the reader: firing things first, the OK one after.
    shown = panel(warehouse_db, "reliability_alarms")
    assert [(r["kind"], r["name"], r["state"]) for r in shown] == [
        ("Business alert", "no_purchases", "ALARM"),
        ("CloudWatch alarm", prefix + "data-freshness", "ALARM"),
        ("CloudWatch alarm", prefix + "api-5xx", "OK"),
    ]
    assert shown[0]["reason"] == "No purchase for 6 h"
