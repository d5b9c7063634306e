"""The shopper model's visits as the ingest stores them in S3 (docs/raw-events.md).

Each visit of clickstream.simulation.shoppers is passed through the ingest's own
enrichment (`enrich_event`: keyed hashes, User-Agent parsing, bot flag, utm from the
page URL, the viewer's country), with the receive time a moment after each event, so
a record here is what a real request would have stored. Some sessions are "late":
half their events are received a day after their event time (a browser that was
offline). Everything, ids included, is drawn from one seeded generator, so a seed is
a fixture for the ETL's tests and `bench/etl.py`.
"""

from __future__ import annotations

import gzip
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import orjson

from clickstream.contract.layout import RAW_OBJECT_PREFIX, RAW_OBJECT_SUFFIX, RAW_PARTITION_FORMAT
from clickstream.ingest.enrich import RequestContext, enrich_event
from clickstream.simulation.shoppers import plan_visit

# The keyed hash of identifiers needs a key; a fixed one keeps the hashes reproducible.
HASH_KEY = b"synthetic-shop-hash-key"


class ObjectWriter(Protocol):
    """The one S3 call write_objects makes (a boto3 S3 client has it)."""

    def put_object(self, *, Bucket: str, Key: str, Body: bytes) -> Any: ...


@dataclass
class SyntheticShop:
    """A seeded generator of shopper sessions as raw S3 records."""

    seed: int = 1
    bot_share: float = 0.04
    late_share: float = 0.0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # noqa: S311 - reproducible test data, not secrets

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def sessions(
        self, count: int, start: datetime, span: timedelta
    ) -> Iterator[list[dict[str, Any]]]:
        """`count` sessions starting uniformly within [start, start + span); about a
        third of the visitors come back for another session."""
        span_s = span.total_seconds()
        visitors = [f"{self.rng.getrandbits(64):016x}" for _ in range(max(1, count // 3))]
        for _ in range(count):
            began = start + timedelta(seconds=self.rng.random() * span_s)
            yield self.session(self.rng.choice(visitors), began)

    def events(self, count: int, start: datetime, span: timedelta) -> Iterator[dict[str, Any]]:
        """Whole sessions until at least `count` events were produced (then stops)."""
        produced = 0
        sessions_needed = max(1, count // 6)
        while produced < count:
            for session in self.sessions(sessions_needed, start, span):
                for record in session:
                    yield record
                    produced += 1
                if produced >= count:
                    return

    def session(self, anonymous_id: str, began: datetime) -> list[dict[str, Any]]:
        """One visit's records, in event order."""
        rng = self.rng
        visit = plan_visit(rng, began, anonymous_id, self._uuid, bot_share=self.bot_share)
        late = rng.random() < self.late_share
        # The Cognito subject of a signed-in shopper: one per visitor.
        subject = f"user-{anonymous_id}" if visit.signed_in else None
        records = []
        for event in visit.events:
            sent = datetime.fromisoformat(event["ts"])
            received = sent + timedelta(milliseconds=rng.randint(50, 1500))
            if late and rng.random() < 0.5:
                received += timedelta(days=1)
            context = RequestContext(
                received_at=received,
                request_id=self._uuid(),
                auth_method="cognito" if subject else "site_key",
                verified_user_id=subject,
                user_agent=visit.user_agent,
                viewer_country=visit.country,
                hash_key=HASH_KEY,
            )
            records.append(enrich_event(event, context))
        return records


def _rfc3339(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def received_hour(record: dict[str, Any]) -> datetime:
    received = datetime.fromisoformat(record["received_at"])
    return received.replace(minute=0, second=0, microsecond=0)


def partition_key(hour: datetime, name: str, prefix: str = RAW_OBJECT_PREFIX) -> str:
    partition = RAW_PARTITION_FORMAT.format(
        year=hour.year, month=hour.month, day=hour.day, hour=hour.hour
    )
    return f"{partition}{prefix}{name}{RAW_OBJECT_SUFFIX}"


def encode_object(records: Iterable[dict[str, Any]]) -> bytes:
    """One raw object's bytes: gzip NDJSON."""
    return gzip.compress(b"".join(orjson.dumps(record) + b"\n" for record in records), 6)


def write_objects(
    s3: ObjectWriter,
    bucket: str,
    records: Iterable[dict[str, Any]],
    events_per_object: int = 200,
    seed: int = 7,
) -> list[str]:
    """Put records into their received-hour partitions, `events_per_object` per object."""
    rng = random.Random(seed)  # noqa: S311 - reproducible keys for tests
    pending: dict[datetime, list[dict[str, Any]]] = {}
    keys: list[str] = []

    def flush(hour: datetime) -> None:
        key = partition_key(hour, str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        s3.put_object(Bucket=bucket, Key=key, Body=encode_object(pending.pop(hour)))
        keys.append(key)

    for record in records:
        hour = received_hour(record)
        batch = pending.setdefault(hour, [])
        batch.append(record)
        if len(batch) >= events_per_object:
            flush(hour)
    for hour in list(pending):
        flush(hour)
    return keys
