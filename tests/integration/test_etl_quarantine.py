"""Objects that keep failing are quarantined after a few attempts without blocking the
objects behind them; a row PostgreSQL refuses despite the Python checks is found by
bisection and rejected alone."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import orjson
import pytest

from clickstream.etl import bookkeeping, dependencies, handler, loader, raw_store, records, status
from clickstream.etl.config import EtlSettings
from clickstream.local.scheduler import FakeLambdaContext
from clickstream.simulation.raw import SyntheticShop, encode_object, partition_key

HOUR = datetime(2026, 11, 20, 8, tzinfo=UTC)


def events(count: int, seed: int, start: datetime = HOUR) -> list[dict[str, Any]]:
    return list(SyntheticShop(seed=seed).events(count, start, timedelta(minutes=50)))


def poison(key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every read of `key` fails, as an object the ETL cannot handle would."""
    real = raw_store.iter_lines

    def iter_lines(s3: Any, bucket: str, name: str) -> Iterator[bytes]:
        if name == key:
            raise RuntimeError("injected persistent failure")
        return real(s3, bucket, name)

    monkeypatch.setattr(raw_store, "iter_lines", iter_lines)


@pytest.mark.slow
def test_an_object_that_keeps_failing_is_quarantined_after_n_attempts_and_blocks_nothing(
    warehouse_db, raw_bucket, moto_endpoint, monkeypatch, capsys
):
    s3, bucket = raw_bucket
    sns = boto3.client("sns", endpoint_url=moto_endpoint, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name="us-east-1")
    topic = sns.create_topic(Name="etl-alerts-" + bucket[-8:])["TopicArn"]
    queue_url = sqs.create_queue(QueueName="etl-alerts-" + bucket[-8:])["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    settings = EtlSettings.from_env(
        {
            "RAW_BUCKET": bucket,
            "DATABASE_URL": warehouse_db.etl_url,
            "SNS_TOPIC_ARN": topic,
            "ETL_MAX_OBJECT_ATTEMPTS": "3",
        }
    )
    assert settings.max_object_attempts == 3
    monkeypatch.setenv("RAW_BUCKET", bucket)
    monkeypatch.setenv("DATABASE_URL", warehouse_db.etl_url)
    monkeypatch.setenv("SNS_TOPIC_ARN", topic)
    monkeypatch.setenv("ETL_MAX_OBJECT_ATTEMPTS", "3")

    # Given a poisoned object at the head of the backlog and good objects behind it
    bad_key = partition_key(HOUR, "0-poison")
    s3.put_object(Bucket=bucket, Key=bad_key, Body=encode_object(events(20, seed=61)))
    poison(bad_key, monkeypatch)
    loaded_counts = []
    expected_counts = []
    summaries = []
    for attempt in range(3):
        hour = HOUR + timedelta(hours=attempt)
        good = events(30, seed=62 + attempt, start=hour)
        s3.put_object(Bucket=bucket, Key=partition_key(hour, "1-good"), Body=encode_object(good))
        expected_counts.append(len(good) + (expected_counts[-1] if expected_counts else 0))
        now = hour + timedelta(hours=1, minutes=1)
        deps = dependencies.build_dependencies(settings, s3=s3)
        deps.now = lambda now=now: now
        summaries.append(loader.run_etl(loader.RunRequest(), deps))
        loaded_counts.append(warehouse_db.scalar("select count(*) from fact_events"))
        if attempt < 2:
            # Then until the limit: retried, counted, the good objects load, the
            # watermark waits at the poisoned object's hour
            assert summaries[-1].objects_failed == 1 and summaries[-1].objects_quarantined == 0
            assert summaries[-1].status == "partial"
            assert warehouse_db.scalar("select partition_hour from etl_watermark") == HOUR
            assert warehouse_db.query(
                "select attempts, last_error from etl_object_attempts where object_key = %s",
                (bad_key,),
            ) == [(attempt + 1, "RuntimeError: injected persistent failure")]
            conn = bookkeeping.connect(warehouse_db.etl_url)
            try:
                report = status.status_report(s3, bucket, conn, now, grace_hours=2)
            finally:
                conn.close()
            assert [o["object_key"] for o in report["failing_objects"]] == [bad_key]
            states = {o["key"]: o["state"] for o in report["pending_objects"]}
            assert states == {bad_key: f"failing: {attempt + 1} failed attempts, retried next run"}

    # And at the third failure it is quarantined, with its reason; the watermark moves on
    last = summaries[-1]
    assert last.objects_quarantined == 1 and last.status == "succeeded"
    assert last.quarantined[0]["key"] == bad_key
    assert "failed 3 times" in last.quarantined[0]["reason"]
    assert warehouse_db.query(
        "select status, reason from etl_manifest where object_key = %s", (bad_key,)
    ) == [("quarantined", "failed 3 times; last error: RuntimeError: injected persistent failure")]
    assert warehouse_db.scalar("select count(*) from etl_object_attempts") == 0
    assert warehouse_db.scalar("select partition_hour from etl_watermark") == HOUR + timedelta(
        hours=3
    )
    assert loaded_counts == expected_counts

    # The Lambda path alerts: an object failing its last attempt through the handler is
    # quarantined, published on SNS and counted in the QuarantinedObjects metric
    second_key = partition_key(HOUR + timedelta(hours=3), "0-poison")
    s3.put_object(Bucket=bucket, Key=second_key, Body=encode_object(events(5, seed=70)))
    poison(second_key, monkeypatch)
    monkeypatch.setenv("ETL_MAX_OBJECT_ATTEMPTS", "1")
    capsys.readouterr()
    result = handler.lambda_handler({"source": "schedule"}, FakeLambdaContext())
    assert result["objects_quarantined"] == 1
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "_aws" in line]
    assert any(m.get("QuarantinedObjects") == [1.0] or m.get("QuarantinedObjects") == 1.0
               for m in emitted), emitted  # fmt: skip
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    bodies = [json.loads(json.loads(m["Body"])["Message"]) for m in messages]
    assert any(q["key"] == second_key for body in bodies for q in body.get("quarantined", [])), (
        bodies
    )


@pytest.mark.slow
def test_a_row_postgresql_refuses_despite_the_checks_is_found_and_rejected_alone(
    warehouse_db, raw_bucket, run_etl, monkeypatch
):
    # Given the Python check for integral floats gone (as in the code this replaced), so
    # "1280.0" reaches PostgreSQL's integer column, in an object that also repeats two
    # already-loaded events
    s3, bucket = raw_bucket
    first = events(40, seed=63)
    s3.put_object(Bucket=bucket, Key=partition_key(HOUR, "0-first"), Body=encode_object(first))
    assert run_etl(now=HOUR + timedelta(hours=1)).rows_inserted == len(first)
    monkeypatch.setattr(records, "_int_text", lambda v: None if v is None else str(v))
    batch = events(300, seed=64)
    for record in batch:
        record["device"] = {**(record.get("device") or {}), "screen_width": 1280}
    bad_lines = {7, 150, 299}  # 1-based line numbers
    for number in bad_lines:
        batch[number - 1]["device"]["screen_width"] = 1280.0
    lines = [orjson.dumps(r) for r in batch] + [orjson.dumps(first[3]), orjson.dumps(first[9])]
    key = partition_key(HOUR, "1-mixed")
    s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(b"\n".join(lines)))

    # When the ETL loads it
    summary = run_etl(now=HOUR + timedelta(hours=1))

    # Then only the refused rows are rejected, with PostgreSQL's reason; the rest loads
    assert summary.status == "succeeded" and summary.objects_quarantined == 0
    rejected = warehouse_db.query(
        "select line_number, reason from etl_rejected_rows where object_key = %s order by 1",
        (key,),
    )
    assert [n for n, _ in rejected] == sorted(bad_lines)
    assert all(reason.startswith("PostgreSQL refused the row: ") for _, reason in rejected)
    assert all("1280.0" in reason for _, reason in rejected)
    good = len(batch) - len(bad_lines)
    assert summary.rows_inserted == good and summary.rows_duplicate == 2
    assert warehouse_db.query(
        "select status, records_total, rows_inserted, rows_duplicate, rows_rejected"
        " from etl_manifest where object_key = %s",
        (key,),
    ) == [("loaded", len(batch) + 2, good, 2, 3)]
    assert warehouse_db.scalar("select count(*) from fact_events") == len(first) + good


class Crash(BaseException):
    """What a killed process looks like from inside: nothing below catches it."""


@pytest.mark.slow
def test_an_object_that_kills_every_run_is_quarantined_after_n_deaths(
    warehouse_db, raw_bucket, run_etl, monkeypatch
):
    # Given an object whose load kills the process (out of memory, Lambda timeout),
    # between good objects
    s3, bucket = raw_bucket
    records = {}
    for name in ("0-before", "1-killer", "2-after"):
        records[name] = events(30, seed=65 + len(records))
        key = partition_key(HOUR, name)
        s3.put_object(Bucket=bucket, Key=key, Body=encode_object(records[name]))
    killer = partition_key(HOUR, "1-killer")
    real = raw_store.iter_lines

    def iter_lines(s3_client: Any, bucket_name: str, name: str) -> Iterator[bytes]:
        if name == killer:
            raise Crash("killed while loading")
        return real(s3_client, bucket_name, name)

    monkeypatch.setattr(raw_store, "iter_lines", iter_lines)
    now = HOUR + timedelta(hours=1)

    # When runs keep dying on it: the first loads in groups (all rolled back), the next
    # ones load object by object after the death, counting attempts first
    deaths = 0
    while True:
        try:
            summary = run_etl(now=now)
            break
        except Crash:
            deaths += 1
            assert deaths <= 5, "the killer object was never quarantined"

    # Then it was quarantined after 3 counted deaths, the objects around it loaded, the
    # watermark moved, and the dead runs are marked abandoned
    assert deaths == 4  # one uncounted (grouped) death, then three counted ones
    assert summary.objects_quarantined == 1 and summary.status == "succeeded"
    assert warehouse_db.query(
        "select status, reason from etl_manifest where object_key = %s", (killer,)
    ) == [
        (
            "quarantined",
            "failed 3 times; last error: the run died while loading it"
            " (process killed, out of memory or timed out)",
        )
    ]
    assert warehouse_db.scalar("select count(*) from fact_events") == len(
        records["0-before"]
    ) + len(records["2-after"])
    assert warehouse_db.scalar("select count(*) from etl_object_attempts") == 0
    assert warehouse_db.scalar("select partition_hour from etl_watermark") == now
    assert warehouse_db.scalar("select count(*) from etl_runs where status = 'abandoned'") == 4
    # and the next run is a normal one again
    assert run_etl(now=now).status == "succeeded"
