"""`clickstream status`: watermark, freshness against the objective, recent runs, raw
objects not loaded yet, objects whose loads keep failing (quarantined at
ETL_MAX_OBJECT_ATTEMPTS), the last reliability snapshot (dead-letter and parking depth)
and the CloudWatch alarms in ALARM when CloudWatch can be reached.

`status_report` returns plain JSON-able data (numbers as numbers, rounded);
`render_text` turns it into the summary a person reads; `objective_exit_code` is the
exit code cron or a monitoring agent acts on (0 objective holds, 1 missed).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from psycopg2.extensions import connection

from clickstream.etl import bookkeeping, raw_store

EXIT_OK = 0
EXIT_OBJECTIVE_MISSED = 1
EXIT_UNKNOWN = 2


def _plain(value: Any) -> Any:
    """Database values as JSON values: Decimal -> rounded number, datetime -> ISO text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else round(float(value), 2)
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def status_report(
    s3: Any,
    bucket: str,
    conn: connection,
    now: datetime,
    grace_hours: int,
    days: int = 7,
    objective_minutes: int = 120,
    cloudwatch: Any | None = None,
) -> dict[str, Any]:
    watermark = bookkeeping.read_watermark(conn)
    window_start = watermark - timedelta(hours=grace_hours) if watermark else None
    current = raw_store.floor_hour(now)
    first = current - timedelta(days=days)
    earliest = raw_store.earliest_partition(s3, bucket)
    if earliest is not None and earliest > first:
        first = earliest
    hours = raw_store.hours_between(first, current) if earliest is not None else []
    known = bookkeeping.manifest_keys(conn, hours) if hours else set()
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
        cur.execute(
            "select taken_at, dlq_depth, dlq_in_flight, dlq_depth_by_reason, parking_depth,"
            " events_accepted, events_rejected, rejected_by_reason, cloudwatch_error, sqs_error"
            " from etl_reliability_snapshots order by taken_at desc limit 1"
        )
        snap_row = cur.fetchone()
        snapshot = (
            dict(zip([c.name for c in cur.description], snap_row, strict=True))
            if snap_row
            else None
        )
    conn.commit()
    attempts = {row["object_key"]: row["attempts"] for row in failing}
    for item in pending:
        if item["key"] in attempts:
            item["state"] = f"failing: {attempts[item['key']]} failed attempts, retried next run"
    freshness_names = (
        "last_success_at", "freshness_minutes", "newest_event_at", "lag_seconds",
        "latest_status", "latest_backlog", "quarantined_objects", "rejected_rows",
    )  # fmt: skip
    freshness = _plain(dict(zip(freshness_names, fresh, strict=True))) if fresh else {}
    if freshness.get("freshness_minutes") is not None:
        freshness["freshness_minutes"] = round(freshness["freshness_minutes"], 1)
    if freshness.get("lag_seconds") is not None:
        freshness["lag_seconds"] = round(freshness["lag_seconds"])
    minutes = freshness.get("freshness_minutes")
    return {
        "watermark": watermark.isoformat() if watermark else None,
        "scan_window_start": window_start.isoformat() if window_start else None,
        "objective": {
            "freshness_objective_minutes": objective_minutes,
            # No successful load ever: the objective is not met.
            "met": minutes is not None and minutes <= objective_minutes,
        },
        "freshness": freshness,
        "pending_objects": pending,
        "failing_objects": _plain(failing),
        "recent_runs": _plain(runs),
        "reliability": _plain(snapshot),
        "alarms": alarms_in_alarm(cloudwatch),
    }


def alarms_in_alarm(cloudwatch: Any | None) -> dict[str, Any]:
    """CloudWatch alarms in ALARM; `known` is False when CloudWatch cannot be reached."""
    if cloudwatch is None:
        return {"known": False, "in_alarm": [], "error": "CloudWatch not queried"}
    try:
        pages = cloudwatch.get_paginator("describe_alarms").paginate(StateValue="ALARM")
        names = [
            {"name": a["AlarmName"], "since": _plain(a.get("StateUpdatedTimestamp"))}
            for page in pages
            for a in page.get("MetricAlarms", [])
        ]
    except Exception as error:  # any AWS failure: the alarms are unknown
        return {"known": False, "in_alarm": [], "error": str(error).splitlines()[0][:200]}
    return {"known": True, "in_alarm": names, "error": None}


def objective_exit_code(report: dict[str, Any]) -> int:
    return EXIT_OK if report["objective"]["met"] else EXIT_OBJECTIVE_MISSED


def _minutes(value: float | None) -> str:
    if value is None:
        return "never"
    if value < 120:
        return f"{value:.0f} min"
    return f"{value / 60:.1f} h"


def _short_time(value: str | None) -> str:
    return value[:16].replace("T", " ") if value else "-"


def render_text(report: dict[str, Any]) -> str:
    """The summary a person reads on call."""
    fresh = report["freshness"]
    objective = report["objective"]
    verdict = "OK" if objective["met"] else "MISSED"
    lag = fresh.get("lag_seconds")
    lines = [
        f"freshness   {verdict}: last successful load {_minutes(fresh.get('freshness_minutes'))}"
        f" ago (objective {objective['freshness_objective_minutes']} min)",
        f"lag         newest event loaded {_minutes(lag / 60 if lag is not None else None)}"
        f" ago ({_short_time(fresh.get('newest_event_at'))} UTC)",
        f"watermark   {_short_time(report['watermark'])} UTC",
        f"latest run  {fresh.get('latest_status') or '-'}",
    ]
    pending = report["pending_objects"]
    needs_backfill = sum(1 for p in pending if p["state"] == "pending: needs backfill")
    failing = report["failing_objects"]
    lines.append(
        f"backlog     {len(pending)} raw objects not loaded"
        + (f" ({needs_backfill} need a backfill)" if needs_backfill else "")
        + f", {len(failing)} failing, {fresh.get('quarantined_objects', 0)} quarantined,"
        f" {fresh.get('rejected_rows', 0)} rejected rows"
    )
    snap = report.get("reliability")
    if snap:
        dlq = snap.get("dlq_depth")
        parking = snap.get("parking_depth")
        by_reason = snap.get("rejected_by_reason") or {}
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(by_reason.items()) if v)
        lines.append(
            f"dead-letter {'depth unknown' if dlq is None else f'{dlq} queued'},"
            f" parking {'depth unknown' if parking is None else f'{parking} queued'}"
            + (f"; rejected by reason: {reasons}" if reasons else "")
            + f" (as of {_short_time(snap.get('taken_at'))} UTC)"
        )
    else:
        lines.append("dead-letter unknown (no reliability snapshot yet)")
    alarms = report["alarms"]
    if not alarms["known"]:
        lines.append(f"alarms      unknown ({alarms['error']})")
    elif alarms["in_alarm"]:
        lines.append("alarms      IN ALARM: " + ", ".join(a["name"] for a in alarms["in_alarm"]))
    else:
        lines.append("alarms      none in ALARM")
    lines.append("recent runs")
    for run in report["recent_runs"]:
        lines.append(
            f"  {_short_time(run['started_at'])}  {run['status']:<9} {run['trigger']:<9}"
            f" {run['objects_loaded'] or 0:>4} objects {run['rows_inserted'] or 0:>7} rows"
            + (f"  error: {str(run['error'])[:80]}" if run.get("error") else "")
        )
    if not report["recent_runs"]:
        lines.append("  none")
    return "\n".join(lines) + "\n"
