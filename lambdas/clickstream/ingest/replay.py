"""Operator tools for the ingest dead-letter queue: inspect it, and replay parked batches.

Only `storage_failure` messages are replayed automatically: they hold records
that passed every check and were anonymised, and only the raw buffer (Firehose or S3)
was missing. They go back through the same writer the ingest uses. Other
reasons are a client's mistake; they stay in the queue for a person to read.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from clickstream.clients import SqsClient
from clickstream.ingest.storage import RawWriter
from clickstream.observability import get_logger

logger = get_logger("dlq-replay")
REPLAYABLE_REASON = "storage_failure"
RECEIVE_VISIBILITY_S = 120


@dataclass
class ReplayReport:
    replayed_records: int = 0
    objects_written: list[str] = field(default_factory=list)
    left_in_queue: Counter[str] = field(default_factory=Counter)


def _receive_all(sqs: SqsClient, queue_url: str, limit: int) -> Iterator[dict[str, Any]]:
    seen: set[str] = set()
    while len(seen) < limit:
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=RECEIVE_VISIBILITY_S
        ).get("Messages", [])
        fresh = [message for message in batch if message["MessageId"] not in seen]
        for message in batch:
            if message["MessageId"] in seen:
                _release(sqs, queue_url, message)
        if not fresh:
            return
        for message in fresh:
            seen.add(message["MessageId"])
            yield message


def _release(sqs: SqsClient, queue_url: str, message: dict[str, Any]) -> None:
    """Make a message visible again at once, for whoever reads the queue next."""
    sqs.change_message_visibility(
        QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )


def inspect_dead_letters(sqs: SqsClient, queue_url: str, limit: int = 1000) -> list[dict[str, Any]]:
    """Read up to `limit` messages without consuming them."""
    messages = list(_receive_all(sqs, queue_url, limit))
    for message in messages:
        _release(sqs, queue_url, message)
    return [json.loads(message["Body"]) for message in messages]


def replay_storage_failures(
    sqs: SqsClient, queue_url: str, store: RawWriter, limit: int = 100_000, chunk: int = 5_000
) -> ReplayReport:
    """Write parked records back to the raw buffer (with Firehose: one record per chunk, or
    more above its record limit; without: one S3 object per chunk, in the current hour's
    partition, which the next ETL run reads) and delete their messages only after the
    writer accepted them. A chunk that fails raises and stays in the queue; any part of it
    already accepted is written again by the next replay, and the ETL's event_id dedupe
    keeps it once in the warehouse."""
    report = ReplayReport()
    pending: list[tuple[str, dict[str, Any]]] = []

    def flush() -> None:
        if not pending:
            return
        key = store.store([record for _, record in pending], datetime.now(UTC))
        for start in range(0, len(pending), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": handle}
                for i, (handle, _) in enumerate(pending[start : start + 10])
            ]
            sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
        report.objects_written.append(key)
        report.replayed_records += len(pending)
        logger.info("dead letters replayed", records=len(pending), object_key=key)
        pending.clear()

    for message in _receive_all(sqs, queue_url, limit):
        body = json.loads(message["Body"])
        if body.get("reason") == REPLAYABLE_REASON and isinstance(body.get("record"), dict):
            pending.append((message["ReceiptHandle"], body["record"]))
            if len(pending) >= chunk:
                flush()
        else:
            report.left_in_queue[str(body.get("reason"))] += 1
            _release(sqs, queue_url, message)
    flush()
    return report
