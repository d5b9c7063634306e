"""`clickstream status`: watermark, freshness, recent runs, raw objects not loaded yet
and objects whose loads keep failing (quarantined at ETL_MAX_OBJECT_ATTEMPTS)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from clickstream.etl import raw_store, warehouse


def status_report(
    s3: Any, bucket: str, conn: Any, now: datetime, grace_hours: int, days: int = 7
) -> dict[str, Any]:
    watermark = warehouse.read_watermark(conn)
    window_start = watermark - timedelta(hours=grace_hours) if watermark else None
    current = raw_store.floor_hour(now)
    first = current - timedelta(days=days)
    earliest = raw_store.earliest_partition(s3, bucket)
    if earliest is not None and earliest > first:
        first = earliest
    hours = raw_store.hours_between(first, current) if earliest is not None else []
    known = warehouse.manifest_keys(conn, hours) if hours else set()
    pending = []
    for hour in hours:
        for obj in raw_store.list_partition(s3, bucket, hour):
            if obj.key in known:
                continue
            scheduled = window_start is None or hour >= window_start
            pending.append(
                {
                    "key": obj.key,
                    "partition_hour": hour.isoformat(),
                    "size_bytes": obj.size,
                    "state": "pending: next run" if scheduled else "pending: needs backfill",
                }
            )
    with conn.cursor() as cur:
        cur.execute(
            "select last_success_at, freshness_minutes, newest_event_at, lag_seconds,"
            " latest_status, latest_backlog, quarantined_objects, rejected_rows from etl_freshness"
        )
        fresh = cur.fetchone()
        cur.execute(
            "select run_id, trigger, status, started_at, ended_at, objects_loaded,"
            " rows_inserted, rows_duplicate, rows_rejected, objects_pending, error"
            " from etl_runs order by started_at desc limit 5"
        )
        runs = [
            dict(zip([c.name for c in cur.description], row, strict=True)) for row in cur.fetchall()
        ]
        # Objects whose loads failed and that are not quarantined yet (etl_object_attempts).
        cur.execute(
            "select object_key, partition_hour, attempts, last_error, updated_at"
            " from etl_object_attempts order by partition_hour, object_key limit 100"
        )
        failing = [
            dict(zip([c.name for c in cur.description], row, strict=True)) for row in cur.fetchall()
        ]
    conn.commit()
    attempts = {row["object_key"]: row["attempts"] for row in failing}
    for item in pending:
        if item["key"] in attempts:
            item["state"] = f"failing: {attempts[item['key']]} failed attempts, retried next run"
    freshness_names = (
        "last_success_at", "freshness_minutes", "newest_event_at", "lag_seconds",
        "latest_status", "latest_backlog", "quarantined_objects", "rejected_rows",
    )  # fmt: skip
    return {
        "watermark": watermark.isoformat() if watermark else None,
        "scan_window_start": window_start.isoformat() if window_start else None,
        "freshness": dict(zip(freshness_names, fresh, strict=True)) if fresh else {},
        "pending_objects": pending,
        "failing_objects": failing,
        "recent_runs": runs,
    }
