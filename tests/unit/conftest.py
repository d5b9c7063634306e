"""Unit-test fixtures: the ingest service against moto's in-process AWS (`mock_aws`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

EVENTS_DIR = Path(__file__).parent / "events"
SITE_KEY = "unit-test-site-key"
HASH_KEY = "unit-test-hash-key"
SITE_ORIGIN = "https://shop.example"
BUCKET = "clickstream-test-raw"


def sample_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    return event


@dataclass
class FakeLambdaContext:
    aws_request_id: str = "unit-test-request"
    function_name: str = "clickstream-test-ingest"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:test"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@dataclass
class IngestEnvironment:
    s3: Any
    sqs: Any
    dlq_url: str
    parking_url: str

    def stored_records(self) -> list[dict[str, Any]]:
        import gzip

        records = []
        for item in self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
            body = self.s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
            records += [json.loads(line) for line in gzip.decompress(body).splitlines()]
        return records

    def object_keys(self) -> list[str]:
        return [item["Key"] for item in self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]

    def dead_letters(self) -> list[dict[str, Any]]:
        return self.drain(self.dlq_url)

    def parked(self) -> list[dict[str, Any]]:
        return self.drain(self.parking_url)

    def drain(self, queue_url: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while True:
            response = self.sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)
            batch = response.get("Messages", [])
            if not batch:
                return messages
            for message in batch:
                messages.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def ingest_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[IngestEnvironment]:
    """Moto-backed bucket and queue, and the environment the ingest Lambda reads."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        sqs = boto3.client("sqs")
        dlq_url = sqs.create_queue(QueueName="test-dlq")["QueueUrl"]
        parking_url = sqs.create_queue(QueueName="test-parking")["QueueUrl"]
        monkeypatch.setenv("RAW_BUCKET", BUCKET)
        monkeypatch.setenv("DLQ_URL", dlq_url)
        monkeypatch.setenv("PARKING_QUEUE_URL", parking_url)
        for name in ("ORIGIN_VERIFY_SECRET", "ORIGIN_VERIFY_PARAM"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("SITE_KEYS", SITE_KEY)
        monkeypatch.setenv("PII_HASH_KEY", HASH_KEY)
        monkeypatch.setenv("ALLOWED_ORIGINS", SITE_ORIGIN)
        monkeypatch.delenv("COGNITO_USER_POOL_ID", raising=False)
        from clickstream.ingest.handler import service

        service.cache_clear()
        yield IngestEnvironment(s3=s3, sqs=sqs, dlq_url=dlq_url, parking_url=parking_url)
        service.cache_clear()


def http_api_event(
    body: str | bytes,
    *,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    path: str = "/v1/events",
    time_epoch_ms: int = 1_760_790_896_000,
) -> dict[str, Any]:
    """An API Gateway HTTP API payload-format-2.0 event, as the gateway would build it."""
    import base64

    merged = {
        "content-type": "application/json",
        "x-api-key": SITE_KEY,
        "user-agent": "Mozilla/5.0",
    }
    merged.update(headers or {})
    is_base64 = isinstance(body, bytes)
    return {
        "version": "2.0",
        "routeKey": "POST /v1/events",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {k: v for k, v in merged.items() if v is not None},
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": "203.0.113.9"},
            "requestId": "req-1",
            "timeEpoch": time_epoch_ms,
        },
        "body": base64.b64encode(body).decode() if isinstance(body, bytes) else body,
        "isBase64Encoded": is_base64,
    }
