"""Where accepted and rejected events go: the raw S3 bucket and the SQS dead-letter queue."""

from __future__ import annotations

import gzip
import uuid
from datetime import datetime
from typing import Any, Protocol

import orjson

from clickstream.clients import S3PutClient, SqsClient
from clickstream.contract.layout import RAW_OBJECT_PREFIX, RAW_OBJECT_SUFFIX, RAW_PARTITION_FORMAT

# Level 5 keeps ~95% of level 9's ratio on NDJSON at under half the CPU.
GZIP_LEVEL = 5
# SQS caps a message at 256 KiB; leave room for the envelope around the payload.
DLQ_PAYLOAD_LIMIT = 200 * 1024
SQS_BATCH_SIZE = 10


class StorageError(Exception):
    """The backing store refused or could not be reached."""


def raw_object_key(received_at: datetime, object_id: uuid.UUID | None = None) -> str:
    partition = RAW_PARTITION_FORMAT.format(
        year=received_at.year, month=received_at.month, day=received_at.day, hour=received_at.hour
    )
    return f"{partition}{RAW_OBJECT_PREFIX}{object_id or uuid.uuid4()}{RAW_OBJECT_SUFFIX}"


def encode_ndjson_gzip(records: list[dict[str, Any]]) -> bytes:
    body = b"".join(orjson.dumps(record) + b"\n" for record in records)
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


class ObjectSink(Protocol):
    def put(self, key: str, body: bytes) -> None: ...


class S3Sink:
    def __init__(self, s3_client: S3PutClient, bucket: str) -> None:
        self._s3 = s3_client
        self._bucket = bucket

    def put(self, key: str, body: bytes) -> None:
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=key,
                Body=body,
                ContentType="application/x-ndjson",
                ContentEncoding="gzip",
            )
        except Exception as error:
            raise StorageError(f"S3 put of {key} failed: {error}") from error


class MemorySink:
    """Keeps objects in memory: the benchmark's CPU path and unit tests."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, body: bytes) -> None:
        self.objects[key] = body


class RawEventStore:
    def __init__(self, sink: ObjectSink) -> None:
        self._sink = sink

    def store(self, records: list[dict[str, Any]], received_at: datetime) -> str:
        key = raw_object_key(received_at)
        self._sink.put(key, encode_ndjson_gzip(records))
        return key


class MessageQueue(Protocol):
    def send(self, messages: list[dict[str, Any]]) -> None: ...


class SqsDeadLetterQueue:
    def __init__(self, sqs_client: SqsClient, queue_url: str) -> None:
        self._sqs = sqs_client
        self._queue_url = queue_url

    def send(self, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), SQS_BATCH_SIZE):
            chunk = messages[start : start + SQS_BATCH_SIZE]
            entries = [
                {"Id": str(index), "MessageBody": orjson.dumps(message).decode()}
                for index, message in enumerate(chunk)
            ]
            try:
                response = self._sqs.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            except Exception as error:
                raise StorageError(f"SQS send to the dead-letter queue failed: {error}") from error
            if response.get("Failed"):
                raise StorageError(f"SQS refused {len(response['Failed'])} dead-letter messages")


class MemoryQueue:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def send(self, messages: list[dict[str, Any]]) -> None:
        self.messages.extend(messages)


def fit_payload(payload: Any) -> tuple[Any, bool]:
    """The payload itself when it fits an SQS message, else its truncated JSON text."""
    encoded = orjson.dumps(payload) if not isinstance(payload, bytes | str) else payload
    if isinstance(encoded, str):
        encoded = encoded.encode("utf-8", "replace")
    if len(encoded) <= DLQ_PAYLOAD_LIMIT:
        return payload if not isinstance(payload, bytes) else encoded.decode(
            "utf-8", "replace"
        ), False
    return encoded[:DLQ_PAYLOAD_LIMIT].decode("utf-8", "replace"), True
