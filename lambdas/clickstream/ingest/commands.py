"""Dead-letter queue subcommands: `clickstream dlq inspect` and `clickstream dlq replay`.

Two queues: the dead-letter queue (DLQ_URL) keeps rejected events with their reasons;
the parking queue (PARKING_QUEUE_URL) keeps batches parked because the raw buffer
(Firehose, DELIVERY_STREAM_NAME, or S3) failed. `replay`
reads the parking queue (and, for messages parked by older code, the dead-letter queue);
`inspect` shows both.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter

import boto3

from clickstream.ingest.replay import inspect_dead_letters, replay_storage_failures
from clickstream.ingest.storage import FirehoseEventStore, RawEventStore, RawWriter, S3Sink


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dlq = subparsers.add_parser(
        "dlq", help="inspect the dead-letter and parking queues, replay parked batches"
    )
    actions = dlq.add_subparsers(dest="dlq_command", required=True, metavar="ACTION")
    inspect = actions.add_parser("inspect", help="count messages by reason and show the latest")
    inspect.add_argument("--limit", type=int, default=1000)
    inspect.add_argument("--show", type=int, default=5, help="messages to print in full")
    inspect.set_defaults(handler=_inspect)
    replay = actions.add_parser(
        "replay",
        help="write batches parked by a raw-buffer outage (storage_failure) back to it",
    )
    replay.add_argument("--limit", type=int, default=100_000)
    replay.add_argument(
        "--delivery-stream",
        default=os.environ.get("DELIVERY_STREAM_NAME"),
        help="Firehose stream the ingest writes to (default: $DELIVERY_STREAM_NAME);"
        " without one, objects go straight to the bucket",
    )
    replay.set_defaults(handler=_replay)
    for action in (inspect, replay):
        action.add_argument(
            "--queue-url", default=os.environ.get("DLQ_URL"), help="default: $DLQ_URL"
        )
        action.add_argument(
            "--parking-queue-url",
            default=os.environ.get("PARKING_QUEUE_URL"),
            help="default: $PARKING_QUEUE_URL",
        )
        action.add_argument(
            "--bucket", default=os.environ.get("RAW_BUCKET"), help="default: $RAW_BUCKET"
        )


def _queues(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(label, url) of each configured queue, parking first; at least one is required."""
    queues: list[tuple[str, str]] = []
    for label, url in (("parking", args.parking_queue_url), ("dead-letter", args.queue_url)):
        # One queue named twice (a deployment without a parking queue) is read once.
        if url and url not in {known for _, known in queues}:
            queues.append((label, url))
    if not queues:
        _require(None, "PARKING_QUEUE_URL or DLQ_URL")
    return queues


def _inspect(args: argparse.Namespace) -> int:
    sqs = boto3.client("sqs")
    for label, url in _queues(args):
        messages = inspect_dead_letters(sqs, url, args.limit)
        print(f"{label} queue: {len(messages)} messages")
        for reason, count in Counter(m.get("reason") for m in messages).most_common():
            print(f"{count:>8}  {reason}")
        for message in messages[: args.show]:
            print(json.dumps(message)[:2000])
    return 0


def _replay(args: argparse.Namespace) -> int:
    # The same writer as the ingest's (clickstream.ingest.handler.raw_writer).
    store: RawWriter = (
        FirehoseEventStore(boto3.client("firehose"), args.delivery_stream)
        if args.delivery_stream
        else RawEventStore(S3Sink(boto3.client("s3"), _require(args.bucket, "RAW_BUCKET")))
    )
    sqs = boto3.client("sqs")
    for label, url in _queues(args):
        report = replay_storage_failures(sqs, url, store, args.limit)
        print(
            f"{label} queue: replayed {report.replayed_records} records"
            f" in {len(report.objects_written)} writes"
        )
        for reason, count in report.left_in_queue.most_common():
            print(f"left in the {label} queue: {count} {reason}")
    return 0


def _require(value: str | None, name: str) -> str:
    if not value:
        raise SystemExit(f"set {name} (or source .local/stack.env) or pass the option")
    return value
