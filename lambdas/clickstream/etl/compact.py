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
hour discards (with any half-written object and unfinished multipart upload); a
crash after 3, or a DeleteObjects call that reports errors for some keys, leaves
sources whose manifest row has no deleted_at yet, which the next compaction of the
hour deletes. At no point can an event be loaded twice or lost: a source is deleted
only after the commit that says its events are in the merged object.

The scheduled Lambda (compact_handler.py) compacts every closed hour (older than the
ETL's grace window, at most COMPACT_LOOKBACK_DAYS back) that still has at least two
loaded small objects or leftovers to clean, oldest first, at most COMPACT_MAX_HOURS per
invocation and within the Lambda's remaining time. It reads the ETL Lambda's settings (EtlSettings).
"""

from __future__ import annotations

import gzip
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from psycopg2.extensions import connection

from clickstream.contract.layout import (
    COMPACTED_OBJECT_PREFIX,
    RAW_OBJECT_PREFIX,
    RAW_OBJECT_SUFFIX,
)
from clickstream.etl import locks, raw_store, sql_files
from clickstream.etl.config import EtlSettings
from clickstream.observability import get_logger

logger = get_logger("compact")

TARGET_BYTES = 64 * 1024 * 1024
SPOOL_BYTES = 16 * 1024 * 1024
DELETE_ATTEMPTS = 3
DELETE_RETRY_SECONDS = 0.5
# Stop starting hours this long before Lambda would kill the function.
LAMBDA_SAFETY_SECONDS = 60.0


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
    # Keys S3 refused to delete after DELETE_ATTEMPTS (key, code, message); retried by the
    # next compaction of the hour, never lost or loaded twice meanwhile.
    delete_errors: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class CompactionRun:
    """One scheduled invocation: the hours it compacted and what failed."""

    hours: list[CompactionSummary] = field(default_factory=list)
    hours_pending: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def delete_errors(self) -> int:
        return sum(len(hour.delete_errors) for hour in self.hours)

    def as_dict(self) -> dict[str, Any]:
        return {
            "hours": [hour.as_dict() for hour in self.hours],
            "hours_compacted": len(self.hours),
            "hours_pending": self.hours_pending,
            "objects_merged": sum(hour.objects_merged for hour in self.hours),
            "objects_written": sum(len(hour.objects_written) for hour in self.hours),
            "sources_deleted": sum(hour.sources_deleted for hour in self.hours),
            "delete_errors": self.delete_errors,
            "errors": self.errors,
        }


def _basename(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def _manifest_rows(conn: connection, hour: datetime) -> dict[str, tuple[str, int]]:
    with conn.cursor() as cur:
        cur.execute(
            "select object_key, status, records_total from etl_manifest where partition_hour = %s",
            (hour,),
        )
        rows = {key: (status, int(records)) for key, status, records in cur.fetchall()}
    conn.commit()
    return rows


def _delete_keys(
    s3: Any, bucket: str, keys: list[str], summary: CompactionSummary | None = None
) -> list[str]:
    """Delete keys with DeleteObjects, retrying the keys it reports as errors (a 200
    response can still refuse some keys); returns the keys deleted. Keys still refused
    after DELETE_ATTEMPTS are added to summary.delete_errors."""
    deleted: list[str] = []
    for start in range(0, len(keys), 1000):
        pending = keys[start : start + 1000]
        errors: list[dict[str, str]] = []
        for attempt in range(DELETE_ATTEMPTS):
            if attempt:
                time.sleep(DELETE_RETRY_SECONDS * attempt)
            response = s3.delete_objects(
                Bucket=bucket, Delete={"Objects": [{"Key": key} for key in pending], "Quiet": True}
            )
            errors = [
                {
                    "key": str(e.get("Key", "")),
                    "code": str(e.get("Code", "")),
                    "message": str(e.get("Message", "")),
                }
                for e in response.get("Errors", [])
            ]
            refused = {e["key"] for e in errors}
            deleted += [key for key in pending if key not in refused]
            pending = [key for key in pending if key in refused]
            if not pending:
                break
        if pending:
            logger.error("S3 refused to delete some objects", errors=errors)
            if summary is not None:
                summary.delete_errors += [e for e in errors if e["key"] in set(pending)]
    return deleted


def _mark_deleted(conn: connection, keys: list[str]) -> None:
    if not keys:
        return
    with conn.cursor() as cur:
        cur.execute(
            "update etl_manifest set deleted_at = now()"
            " where object_key = any(%s) and status = 'compacted'",
            (keys,),
        )
    conn.commit()


def _abort_uploads(s3: Any, bucket: str, hour: datetime, keys: set[str]) -> None:
    """Abort unfinished multipart uploads of abandoned merged objects."""
    response = s3.list_multipart_uploads(Bucket=bucket, Prefix=raw_store.partition_prefix(hour))
    for upload in response.get("Uploads", []):
        if upload["Key"] in keys:
            s3.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])


def _recover(
    s3: Any, bucket: str, conn: connection, hour: datetime, summary: CompactionSummary
) -> None:
    """Discard what an earlier compaction of the hour left half done (its own abandoned
    merged objects) and delete sources that are merged but still in S3."""
    rows = _manifest_rows(conn, hour)
    abandoned = [key for key, (status, _) in rows.items() if status == "compacting"]
    if abandoned:
        _abort_uploads(s3, bucket, hour, set(abandoned))
        gone = _delete_keys(s3, bucket, abandoned, summary)
        # A merged object S3 refused to delete keeps its row, so no run ever loads it.
        with conn.cursor() as cur:
            cur.execute(
                "delete from etl_manifest where object_key = any(%s) and status = 'compacting'",
                (gone,),
            )
        conn.commit()
        summary.recovered += len(gone)
    with conn.cursor() as cur:
        cur.execute(
            "select object_key from etl_manifest where partition_hour = %s"
            " and status = 'compacted' and deleted_at is null",
            (hour,),
        )
        undeleted = [row[0] for row in cur.fetchall()]
    conn.commit()
    if undeleted:
        present = {obj.key for obj in raw_store.list_partition(s3, bucket, hour)}
        leftovers = [key for key in undeleted if key in present]
        gone = _delete_keys(s3, bucket, leftovers, summary)
        summary.sources_deleted += len(gone)
        summary.recovered += len(gone)
        _mark_deleted(conn, [key for key in undeleted if key not in present] + gone)


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
    s3: Any, bucket: str, conn: connection, hour: datetime, chunk: list[raw_store.RawObject],
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
    s3: Any, bucket: str, conn: connection, hour: datetime, target_bytes: int = TARGET_BYTES
) -> CompactionSummary:
    hour = raw_store.floor_hour(hour)
    summary = CompactionSummary(hour=hour.isoformat())
    with conn.cursor() as cur:
        locked = locks.try_compact_lock(cur, hour)
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
            gone = _delete_keys(s3, bucket, [obj.key for obj in chunk], summary)
            summary.sources_deleted += len(gone)
            _mark_deleted(conn, gone)
        if not summary.objects_written and not summary.recovered and not summary.delete_errors:
            summary.skipped_reason = "fewer than two loaded raw objects to merge"
    finally:
        with conn.cursor() as cur:
            locks.unlock_compact(cur, hour)
        conn.commit()
    logger.info("compaction finished", **summary.as_dict())
    return summary


def default_hour(now: datetime, grace_hours: int) -> datetime:
    """The newest hour no run will rescan: older than the grace window."""
    return raw_store.floor_hour(now) - timedelta(hours=grace_hours + 1)


def hours_to_compact(
    conn: connection, now: datetime, grace_hours: int, lookback_days: int
) -> list[datetime]:
    """Closed hours (older than the grace window, so no ETL run lists them any more)
    that still have two or more loaded small objects, or leftovers to clean; oldest first."""
    last = default_hour(now, grace_hours)
    first = last - timedelta(days=lookback_days)
    with conn.cursor() as cur:
        cur.execute(
            sql_files.load("hours_to_compact"),
            {"first": first, "last": last, "raw_pattern": f"%/{RAW_OBJECT_PREFIX}%"},
        )
        hours = [row[0] for row in cur.fetchall()]
    conn.commit()
    return hours


def compact_closed_hours(
    s3: Any,
    bucket: str,
    conn: connection,
    now: datetime,
    settings: EtlSettings,
    time_left: Callable[[], float] | None = None,
) -> CompactionRun:
    """Compact every closed hour that needs it, at most settings.compact_max_hours, while
    `time_left()` (seconds) allows. A failing hour is reported and the others go on."""
    run = CompactionRun()
    hours = hours_to_compact(conn, now, settings.grace_hours, settings.compact_lookback_days)
    todo = hours[: settings.compact_max_hours]
    for index, hour in enumerate(todo):
        if time_left is not None and run.hours and time_left() < LAMBDA_SAFETY_SECONDS:
            run.hours_pending = len(hours) - index
            break
        try:
            run.hours.append(
                compact_hour(s3, bucket, conn, hour, settings.compact_target_mb * 1024 * 1024)
            )
        except Exception as error:
            conn.rollback()
            logger.exception("compaction of an hour failed", hour=hour.isoformat())
            run.errors.append(
                {"hour": hour.isoformat(), "error": f"{type(error).__name__}: {error}"}
            )
    else:
        run.hours_pending = len(hours) - len(todo)
    return run
