"""Where accepted and rejected events go: the raw buffer (Amazon Data Firehose, or one S3
object per batch) and the SQS dead-letter queue."""

from __future__ import annotations

import gzip
import time
import uuid
from collections.abc import Callable
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


# Firehose quotas (PutRecordBatch): a record is at most 1,000 KiB before base64, a call
# at most 500 records and 4 MiB.
FIREHOSE_RECORD_MAX_BYTES = 1_000 * 1024
FIREHOSE_BATCH_MAX_RECORDS = 500
FIREHOSE_BATCH_MAX_BYTES = 4 * 1024 * 1024
# Attempts per PutRecordBatch call, failed records only after the first; with the
# backoff below the worst case waits 0.1 + 0.2 = 0.3 s, far inside the Lambda's timeout.
FIREHOSE_ATTEMPTS = 3
FIREHOSE_BACKOFF_S = 0.1


class StorageError(Exception):
    """The backing store refused or could not be reached.

    `unstored` lists the records that are not stored when some of the batch was
    (Firehose accepted part of a PutRecordBatch); None means none of them was."""

    def __init__(self, message: str, unstored: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.unstored = unstored


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


class RawWriter(Protocol):
    def store(self, records: list[dict[str, Any]], received_at: datetime) -> str:
        """Store every record or raise StorageError; return where they went (for logs)."""
        ...


class RawEventStore:
    """One gzip NDJSON object per batch, written straight to S3 (no delivery stream)."""

    def __init__(self, sink: ObjectSink) -> None:
        self._sink = sink

    def store(self, records: list[dict[str, Any]], received_at: datetime) -> str:
        key = raw_object_key(received_at)
        self._sink.put(key, encode_ndjson_gzip(records))
        return key


def firehose_records(
    records: list[dict[str, Any]], limit: int = FIREHOSE_RECORD_MAX_BYTES
) -> list[tuple[bytes, list[dict[str, Any]]]]:
    """The batch as Firehose records: NDJSON lines, as few records as fit under `limit`
    bytes each, every record ending in a newline (Firehose concatenates records as they
    are, so the delivered object stays NDJSON). Each comes with the events it holds."""
    chunks: list[tuple[bytes, list[dict[str, Any]]]] = []
    lines: list[bytes] = []
    members: list[dict[str, Any]] = []
    size = 0
    for record in records:
        line = orjson.dumps(record) + b"\n"
        if len(line) > limit:
            # Unreachable through the API (an event is at most MAX_EVENT_BYTES) but never
            # silently: the caller parks it.
            raise StorageError(f"one event is {len(line)} bytes, over Firehose's record limit")
        if size + len(line) > limit:
            chunks.append((b"".join(lines), members))
            lines, members, size = [], [], 0
        lines.append(line)
        members.append(record)
        size += len(line)
    if lines:
        chunks.append((b"".join(lines), members))
    return chunks


def _put_calls(
    chunks: list[tuple[bytes, list[dict[str, Any]]]],
) -> list[list[tuple[bytes, list[dict[str, Any]]]]]:
    """Group records into PutRecordBatch calls of at most 500 records and 4 MiB."""
    calls: list[list[tuple[bytes, list[dict[str, Any]]]]] = [[]]
    size = 0
    for chunk in chunks:
        if len(calls[-1]) >= FIREHOSE_BATCH_MAX_RECORDS or (
            calls[-1] and size + len(chunk[0]) > FIREHOSE_BATCH_MAX_BYTES
        ):
            calls.append([])
            size = 0
        calls[-1].append(chunk)
        size += len(chunk[0])
    return [call for call in calls if call]


class FirehoseEventStore:
    """Each batch as one Firehose record (split only above the record limit), sent with
    PutRecordBatch. Records Firehose reports failed (FailedPutCount, a per-record
    ErrorCode) or a call that raised are retried, bounded and with backoff; what is still
    not accepted raises StorageError with exactly those events (`unstored`), which the
    service parks. Firehose buffers, compresses and writes the objects (terraform module
    raw_buffer; locally clickstream.local.firehose)."""

    def __init__(
        self,
        firehose_client: Any,
        stream_name: str,
        attempts: int = FIREHOSE_ATTEMPTS,
        backoff_s: float = FIREHOSE_BACKOFF_S,
        sleep: Callable[[float], None] = time.sleep,
        record_limit: int = FIREHOSE_RECORD_MAX_BYTES,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._firehose = firehose_client
        self._stream = stream_name
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._sleep = sleep
        self._record_limit = record_limit
        self.retries = 0  # failed records sent again, for tests and logs

    def store(self, records: list[dict[str, Any]], received_at: datetime) -> str:
        chunks = firehose_records(records, self._record_limit)
        unstored: list[dict[str, Any]] = []
        errors: list[str] = []
        record_ids: list[str] = []
        for call in _put_calls(chunks):
            left, error, ids = self._put_with_retries(call)
            record_ids += ids
            if left:
                unstored += [event for _, events in left for event in events]
                errors.append(error)
        if unstored:
            partial = len(unstored) < len(records)
            raise StorageError(
                f"Firehose did not accept {len(unstored)} of {len(records)} events"
                f" after {self._attempts} attempts: {'; '.join(errors)[:400]}",
                unstored if partial else None,
            )
        first = record_ids[0] if record_ids else "?"
        return f"firehose:{self._stream}:{len(chunks)} record(s):{first}"

    def _put_with_retries(
        self, call: list[tuple[bytes, list[dict[str, Any]]]]
    ) -> tuple[list[tuple[bytes, list[dict[str, Any]]]], str, list[str]]:
        """(records still not accepted, the last error, RecordIds of accepted ones)."""
        pending = call
        error = ""
        accepted: list[str] = []
        for attempt in range(self._attempts):
            if attempt:
                self.retries += len(pending)
                self._sleep(self._backoff_s * 2 ** (attempt - 1))
            try:
                response = self._firehose.put_record_batch(
                    DeliveryStreamName=self._stream,
                    Records=[{"Data": data} for data, _ in pending],
                )
            except Exception as exc:  # botocore's own retries are already spent
                error = f"{type(exc).__name__}: {exc}"
                continue
            answers = response.get("RequestResponses", [])
            if len(answers) != len(pending):
                error = f"Firehose answered {len(answers)} results for {len(pending)} records"
                continue
            failed = []
            for chunk, answer in zip(pending, answers, strict=True):
                if answer.get("ErrorCode"):
                    failed.append(chunk)
                    error = f"{answer['ErrorCode']}: {answer.get('ErrorMessage', '')}"
                else:
                    accepted.append(str(answer.get("RecordId", "")))
            if not failed:
                return [], "", accepted
            pending = failed
        return pending, error, accepted


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
