"""The disaster-recovery drill: the warehouse is rebuilt from the raw bucket alone.

Simulated shoppers go through the real ingest handler into moto S3 (three receive
hours), the ETL loads them, one hour is compacted; the warehouse is fingerprinted,
dropped, created empty, and `clickstream rebuild` (a subprocess, as typed) must give
the same fingerprint.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import psycopg2
import pytest
from psycopg2 import sql

from clickstream.etl import bookkeeping, compact
from clickstream.etl.roles import ETL_ROLE, OWNER_ROLE, READER_ROLE, grant_schema_usage
from clickstream.local.api_gateway import LambdaContext
from clickstream.simulation.client import build_visit
from tests.integration.conftest import REPO_ROOT_FOR_TESTS, Warehouse, warehouse_fingerprint
from tests.unit.conftest import HASH_KEY, SITE_KEY, SITE_ORIGIN, http_api_event

pytestmark = [pytest.mark.slow]

SUMS = {
    "fact_events": "select count(*), coalesce(sum(price * qty), 0),"
    " count(distinct session_id) from fact_events",
    "fact_sessions": "select count(*), coalesce(sum(revenue), 0), sum(event_count),"
    " sum(page_views) from fact_sessions",
    "agg_traffic_daily": "select count(*), sum(sessions), sum(page_views) from agg_traffic_daily",
    "agg_product_daily": "select count(*) from agg_product_daily",
    "dim_product": "select count(*) from dim_product",
}


def fingerprint(db: Warehouse) -> dict[str, Any]:
    """Counts and sums a person can read, plus content hashes of every curated table."""
    sums = {name: [str(v) for v in db.query(statement)[0]] for name, statement in SUMS.items()}
    return {"sums": sums, "hashes": warehouse_fingerprint(db)}


def ingest_history(
    monkeypatch: pytest.MonkeyPatch, bucket: str, hours: list[datetime], visits_per_hour: int
) -> int:
    """Visits posted through the ingest Lambda's entry point, received in `hours`."""
    from clickstream.ingest.handler import lambda_handler, service

    sqs = boto3.client("sqs")
    monkeypatch.setenv("RAW_BUCKET", bucket)
    monkeypatch.setenv("DLQ_URL", sqs.create_queue(QueueName=bucket + "-dlq")["QueueUrl"])
    monkeypatch.setenv(
        "PARKING_QUEUE_URL", sqs.create_queue(QueueName=bucket + "-parking")["QueueUrl"]
    )
    monkeypatch.setenv("SITE_KEYS", SITE_KEY)
    monkeypatch.setenv("PII_HASH_KEY", HASH_KEY)
    monkeypatch.setenv("ALLOWED_ORIGINS", SITE_ORIGIN)
    for name in ("ORIGIN_VERIFY_SECRET", "ORIGIN_VERIFY_PARAM", "COGNITO_USER_POOL_ID"):
        monkeypatch.delenv(name, raising=False)
    service.cache_clear()
    rng = random.Random(20261201)
    accepted = 0
    try:
        for hour in hours:
            for n in range(visits_per_hour):
                visit = build_visit(rng, hour + timedelta(minutes=rng.uniform(0, 20)))
                # Received a minute after its last event, inside the same hour.
                received = hour + timedelta(minutes=50, seconds=n)
                for start in range(0, len(visit.events), 20):
                    body = json.dumps({"events": visit.events[start : start + 20]})
                    response = lambda_handler(
                        http_api_event(
                            body,
                            headers={"user-agent": visit.user_agent},
                            time_epoch_ms=int(received.timestamp() * 1000),
                        ),
                        LambdaContext(f"req-{hour:%H}-{n}-{start}"),
                    )
                    assert response["statusCode"] == 202, response["body"]
                    accepted += json.loads(response["body"])["accepted"]
    finally:
        service.cache_clear()
    return accepted


def recreate_empty(db: Warehouse) -> None:
    conn = psycopg2.connect(db.cluster.superuser_url())
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(db.name)))
            cur.execute(
                sql.SQL("create database {} owner {}").format(
                    sql.Identifier(db.name), sql.Identifier(OWNER_ROLE)
                )
            )
            cur.execute(
                sql.SQL("grant connect, temporary on database {} to {}, {}").format(
                    sql.Identifier(db.name), sql.Identifier(ETL_ROLE), sql.Identifier(READER_ROLE)
                )
            )
    finally:
        conn.close()
    grant_schema_usage(db.cluster.superuser_url(db.name))


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clickstream.cli", *args],
        cwd=REPO_ROOT_FOR_TESTS,
        env={**os.environ, **env, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_warehouse_is_rebuilt_from_raw_into_an_empty_database_identically(
    warehouse_db, raw_bucket, moto_endpoint, run_etl, monkeypatch, tmp_path
):
    # Given three hours of shoppers through the ingest, loaded, one hour compacted
    s3, bucket = raw_bucket
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    now = datetime.now(UTC)
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=5)
    hours = [first, first + timedelta(hours=1), first + timedelta(hours=2)]
    accepted = ingest_history(monkeypatch, bucket, hours, visits_per_hour=8)
    assert accepted > 50
    assert run_etl().status == "succeeded"
    conn = bookkeeping.connect(warehouse_db.owner_url)
    try:
        merged = compact.compact_hour(s3, bucket, conn, hours[1])
    finally:
        conn.close()
    assert merged.objects_merged >= 2
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert any("/compacted-" in key for key in keys)
    assert run_etl().status == "succeeded"
    before = fingerprint(warehouse_db)
    assert int(before["sums"]["fact_events"][0]) == accepted
    assert int(before["sums"]["fact_sessions"][0]) > 0

    # When the database is lost and rebuilt from the raw bucket by one command
    recreate_empty(warehouse_db)
    env = {
        "RAW_BUCKET": bucket,
        "DATABASE_URL": warehouse_db.owner_url,
        "AWS_ENDPOINT_URL": moto_endpoint,
    }
    state = ["--state-dir", str(tmp_path)]
    span = ["--from", f"{hours[0]:%Y-%m-%dT%H}", "--to", f"{now:%Y-%m-%dT%H}"]
    result = cli("rebuild", *span, *state, env=env)

    # Then it reports progress on stderr and totals on stdout, and the warehouse is identical
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rebuild: migrated:" in result.stderr and "rebuild: [1/1]" in result.stderr
    totals = json.loads(result.stdout)
    assert totals["rows_inserted"] == accepted and totals["migrations_applied"] > 0
    assert fingerprint(warehouse_db) == before

    # And a second rebuild on top of the data is refused, not merged
    again = cli("rebuild", *span, *state, env=env)
    assert again.returncode == 2 and "only into an empty database" in again.stderr
