"""Compaction: merge an hour's small, already-loaded raw objects into large ones.

Only objects the manifest records as loaded are merged, so the ETL never needs to
read a compacted object: its manifest row says it holds already-loaded events.
Crash safety, step by step:
1. a 'compacting' manifest row for the new key is committed first, so a run that
   lists the new object meanwhile skips it;
2. the merged object is uploaded (spooled to disk beyond 16 MiB, memory stays flat);
3. one transaction marks it 'loaded' and its sources 'compacted' (compacted_into);
4. the sources are deleted from S3.
A crash after 1 or 2 leaves a 'compacting' row that the next compaction of the
hour discards (with any half-written object); a crash after 3 leaves sources that
the next compaction deletes. At no point can an event be loaded twice or lost.
"""

from __future__ import annotations

import gzip
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from clickstream.contract.layout import (
    COMPACTED_OBJECT_PREFIX,
    RAW_OBJECT_PREFIX,
    RAW_OBJECT_SUFFIX,
)
from clickstream.etl import raw_store, warehouse
from clickstream.etl.config import EtlSettings
from clickstream.observability import get_logger

logger = get_logger("compact")

TARGET_BYTES = 64 * 1024 * 1024
SPOOL_BYTES = 16 * 1024 * 1024
COMPACT_LOCK_NAMESPACE = 7243


class CompactionError(RuntimeError):
    """The merged object does not hold exactly its sources' records; nothing was deleted."""


@dataclass
class CompactionSummary:
    hour: str
    objects_merged: int = 0
    objects_written: list[str] = field(default_factory=list)
    records: int = 0
    sources_deleted: int = 0
    recovered: int = 0
    skipped_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _basename(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def _manifest_rows(conn: Any, hour: datetime) -> dict[str, tuple[str, int]]:
    with conn.cursor() as cur:
        cur.execute(
            "select object_key, status, records_total from etl_manifest where partition_hour = %s",
            (hour,),
        )
        rows = {key: (status, int(records)) for key, status, records in cur.fetchall()}
    conn.commit()
    return rows


def _delete_keys(s3: Any, bucket: str, keys: list[str]) -> int:
    deleted = 0
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": key} for key in chunk], "Quiet": True}
        )
        deleted += len(chunk)
    return deleted


def _recover(s3: Any, bucket: str, conn: Any, hour: datetime, summary: CompactionSummary) -> None:
    rows = _manifest_rows(conn, hour)
    abandoned = [key for key, (status, _) in rows.items() if status == "compacting"]
    if abandoned:
        _delete_keys(s3, bucket, abandoned)
        with conn.cursor() as cur:
            cur.execute(
                "delete from etl_manifest where object_key = any(%s) and status = 'compacting'",
                (abandoned,),
            )
        conn.commit()
        summary.recovered += len(abandoned)
    present = {obj.key for obj in raw_store.list_partition(s3, bucket, hour)}
    leftovers = [
        key for key, (status, _) in rows.items() if status == "compacted" and key in present
    ]
    if leftovers:
        summary.sources_deleted += _delete_keys(s3, bucket, leftovers)
        summary.recovered += len(leftovers)


def _chunks(
    objects: list[raw_store.RawObject], target_bytes: int
) -> list[list[raw_store.RawObject]]:
    chunks: list[list[raw_store.RawObject]] = [[]]
    size = 0
    for obj in objects:
        if chunks[-1] and size + obj.size > target_bytes:
            chunks.append([])
            size = 0
        chunks[-1].append(obj)
        size += obj.size
    return [chunk for chunk in chunks if len(chunk) > 1]


def _merge_chunk(
    s3: Any, bucket: str, conn: Any, hour: datetime, chunk: list[raw_store.RawObject],
    expected_records: int,
) -> tuple[str, int]:  # fmt: skip
    key = (
        raw_store.partition_prefix(hour)
        + COMPACTED_OBJECT_PREFIX
        + str(uuid.uuid4())
        + RAW_OBJECT_SUFFIX
    )
    sources = [obj.key for obj in chunk]
    with conn.cursor() as cur:
        cur.execute(
            "insert into etl_manifest (object_key, etag, size_bytes, partition_hour, status,"
            " source_keys, reason) values (%s, '', 0, %s, 'compacting', %s, %s)",
            (key, hour, sources, f"compaction of {len(sources)} loaded objects in progress"),
        )
    conn.commit()
    records = 0
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        with gzip.GzipFile(fileobj=spool, mode="wb", compresslevel=6) as compressed:
            for obj in chunk:
                for line in raw_store.iter_lines(s3, bucket, obj.key):
                    compressed.write(line + b"\n")
                    records += 1
        if records != expected_records:
            raise CompactionError(
                f"{key}: read {records} records from {len(sources)} objects,"
                f" the manifest says {expected_records}; nothing was deleted"
            )
        spool.seek(0)
        s3.upload_fileobj(spool, bucket, key)
    merged = raw_store.head_object(s3, bucket, key)
    with conn.cursor() as cur:
        cur.execute(
            "update etl_manifest set status = 'loaded', etag = %s, size_bytes = %s,"
            " records_total = %s, reason = %s, loaded_at = now() where object_key = %s",
            (
                merged.etag,
                merged.size,
                records,
                f"compaction of {len(sources)} loaded objects",
                key,
            ),
        )
        cur.execute(
            "update etl_manifest set status = 'compacted', compacted_into = %s"
            " where object_key = any(%s) and status = 'loaded'",
            (key, sources),
        )
        if cur.rowcount != len(sources):
            conn.rollback()
            raise CompactionError(f"{key}: some sources changed state during compaction")
    conn.commit()
    return key, records


def compact_hour(
    s3: Any, bucket: str, conn: Any, hour: datetime, target_bytes: int = TARGET_BYTES
) -> CompactionSummary:
    hour = raw_store.floor_hour(hour)
    summary = CompactionSummary(hour=hour.isoformat())
    lock_key = int(hour.timestamp() // 3600)
    with conn.cursor() as cur:
        cur.execute("select pg_try_advisory_lock(%s, %s)", (COMPACT_LOCK_NAMESPACE, lock_key))
        locked = cur.fetchone()[0]
    conn.commit()
    if not locked:
        summary.skipped_reason = "another compaction of this hour is running"
        return summary
    try:
        _recover(s3, bucket, conn, hour, summary)
        rows = _manifest_rows(conn, hour)
        candidates = [
            obj
            for obj in raw_store.list_partition(s3, bucket, hour)
            if _basename(obj.key).startswith(RAW_OBJECT_PREFIX)
            and rows.get(obj.key, ("", 0))[0] == "loaded"
        ]
        for chunk in _chunks(candidates, target_bytes):
            expected = sum(rows[obj.key][1] for obj in chunk)
            key, records = _merge_chunk(s3, bucket, conn, hour, chunk, expected)
            summary.objects_written.append(key)
            summary.objects_merged += len(chunk)
            summary.records += records
            summary.sources_deleted += _delete_keys(s3, bucket, [obj.key for obj in chunk])
        if not summary.objects_written and not summary.recovered:
            summary.skipped_reason = "fewer than two loaded raw objects to merge"
    finally:
        with conn.cursor() as cur:
            cur.execute("select pg_advisory_unlock(%s, %s)", (COMPACT_LOCK_NAMESPACE, lock_key))
        conn.commit()
    logger.info("compaction finished", **summary.as_dict())
    return summary


def default_hour(now: datetime, grace_hours: int) -> datetime:
    """The newest hour no run will rescan: older than the grace window."""
    return raw_store.floor_hour(now) - timedelta(hours=grace_hours + 1)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Compact event["hour"] (e.g. "2026-11-28T13"), else the newest hour past the grace window."""
    from clickstream.etl.handler import parse_hour

    settings = EtlSettings.from_env()
    hour_text = (event or {}).get("hour")
    hour = (
        parse_hour(hour_text)
        if hour_text
        else default_hour(datetime.now(UTC), settings.grace_hours)
    )
    conn = warehouse.connect(
        settings.resolve_database_url(), application_name="clickstream-compact"
    )
    try:
        return compact_hour(boto3.client("s3"), settings.raw_bucket, conn, hour).as_dict()
    finally:
        conn.close()
