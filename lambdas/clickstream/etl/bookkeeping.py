"""The ETL's own records in PostgreSQL: the connection, run rows, the watermark, the
manifest of handled objects, rejected lines and failed-object attempts.

Everything here is about what was done, never the facts themselves (object_load.py
writes those). Every statement that takes values uses driver parameters; identifiers
are fixed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import psycopg2
import psycopg2.extras
from psycopg2.extensions import connection, cursor

from clickstream.etl import locks
from clickstream.etl.load_models import GroupResult, ObjectFailure, ObjectOutcome
from clickstream.etl.raw_store import RawObject
from clickstream.etl.records import MAX_REASON_CHARS, clean_text

PIPELINE = "raw_events"
DIED_WHILE_LOADING = "the run died while loading it (process killed, out of memory or timed out)"


class WarehouseUnavailable(RuntimeError):
    """PostgreSQL could not be reached; the message says where and why."""


def connect(dsn: str, application_name: str = "clickstream-etl") -> connection:
    try:
        conn = psycopg2.connect(dsn, connect_timeout=10, application_name=application_name)
    except psycopg2.OperationalError as error:
        host = dsn.split("@")[-1].split("/")[0] if "@" in dsn else "the configured host"
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "no reason given"
        raise WarehouseUnavailable(f"cannot connect to PostgreSQL at {host}: {reason}") from error
    conn.autocommit = False
    with conn.cursor() as cur:
        cur.execute("set time zone 'UTC'")
    conn.commit()
    return conn


# ---- run rows --------------------------------------------------------------------------


def start_run(conn: connection, run_id: uuid.UUID, trigger: str) -> None:
    with conn.cursor() as cur:
        locks.lock_run_row(cur, run_id)
        cur.execute(
            "insert into etl_runs (run_id, trigger) values (%s, %s)", (str(run_id), trigger)
        )
    conn.commit()


def abandon_dead_runs(conn: connection, current: uuid.UUID) -> int:
    """Mark 'running' rows whose process is gone (its row lock is free) as abandoned."""
    abandoned = 0
    with conn.cursor() as cur:
        cur.execute(
            "select run_id from etl_runs where status = 'running' and run_id <> %s", (str(current),)
        )
        for (run_id,) in cur.fetchall():
            other = uuid.UUID(str(run_id))
            if locks.try_run_row_lock(cur, other):
                cur.execute(
                    "update etl_runs set status = 'abandoned', ended_at = now(),"
                    " error = 'the run ended without finishing (process killed or timed out);"
                    " its uncommitted work was rolled back and is retried' where run_id = %s",
                    (str(run_id),),
                )
                locks.unlock_run_row(cur, other)
                abandoned += 1
    conn.commit()
    return abandoned


def record_run(conn: connection, run: dict[str, Any]) -> None:
    """Insert or complete one etl_runs row from a summary dict (see loader.RunSummary)."""
    columns = (
        "run_id", "trigger", "started_at", "ended_at", "status", "objects_loaded",
        "objects_quarantined", "objects_pending", "rows_inserted", "rows_duplicate",
        "rows_rejected", "sessions_rebuilt", "newest_event_at", "lag_seconds", "error",
    )  # fmt: skip
    values = [run.get(column) for column in columns]
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
    placeholders = ", ".join(["%s"] * len(columns))
    statement = (
        f"insert into etl_runs ({', '.join(columns)}) values ({placeholders})"  # noqa: S608
        f" on conflict (run_id) do update set {updates}"
    )
    with conn.cursor() as cur:
        cur.execute(statement, values)
    conn.commit()


def last_run_died(conn: connection, current: uuid.UUID) -> bool:
    """True when the newest finished run before this one was abandoned: it died, maybe
    on an object that kills every run that loads it, so this run loads carefully."""
    with conn.cursor() as cur:
        cur.execute(
            "select status from etl_runs where run_id <> %s"
            " and status not in ('running', 'skipped') order by started_at desc limit 1",
            (str(current),),
        )
        row = cur.fetchone()
    conn.commit()
    return row is not None and row[0] == "abandoned"


# ---- watermark and manifest --------------------------------------------------------------


def read_watermark(conn: connection) -> datetime | None:
    with conn.cursor() as cur:
        cur.execute("select partition_hour from etl_watermark where pipeline = %s", (PIPELINE,))
        row = cur.fetchone()
    conn.commit()
    return row[0] if row else None


def advance_watermark(conn: connection, hour: datetime) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "insert into etl_watermark (pipeline, partition_hour) values (%s, %s)"
            " on conflict (pipeline) do update set"
            " partition_hour = greatest(etl_watermark.partition_hour, excluded.partition_hour),"
            " updated_at = now()",
            (PIPELINE, hour),
        )
    conn.commit()


def manifest_keys(conn: connection, hours: list[datetime]) -> set[str]:
    with conn.cursor() as cur:
        cur.execute("select object_key from etl_manifest where partition_hour = any(%s)", (hours,))
        keys = {row[0] for row in cur.fetchall()}
    conn.commit()
    return keys


def newest_received_at(conn: connection) -> datetime | None:
    with conn.cursor() as cur:
        cur.execute("select max(received_at) from fact_events")
        row = cur.fetchone()
    conn.commit()
    return row[0] if row else None


def claim_object(cur: cursor, obj: RawObject) -> bool:
    """Take the object's transaction lock and check it is still unloaded."""
    if not locks.try_object_lock(cur, obj.key):
        return False
    cur.execute("select 1 from etl_manifest where object_key = %s", (obj.key,))
    return cur.fetchone() is None


def record_objects(cur: cursor, result: GroupResult, run_id: uuid.UUID) -> None:
    """In the group's transaction: its rejected lines, its manifest rows, and the end of
    the attempt counts of every object it handled."""
    rejected_rows = [
        (o.obj.key, line_number, event_id, reason, raw, str(run_id))
        for o in result.outcomes
        for line_number, event_id, reason, raw in o.rejected
    ]
    if rejected_rows:
        psycopg2.extras.execute_values(
            cur,
            "insert into etl_rejected_rows"
            " (object_key, line_number, event_id, reason, raw_line, run_id) values %s"
            " on conflict (object_key, line_number) do nothing",
            rejected_rows,
        )
    done = [o.obj.key for o in result.outcomes]
    if done:
        cur.execute("delete from etl_object_attempts where object_key = any(%s)", (done,))
    manifest_rows = [
        (
            o.obj.key,
            o.obj.etag,
            o.obj.size,
            o.obj.partition_hour,
            "quarantined" if o.quarantine_reason else "loaded",
            o.records_total,
            o.rows_inserted,
            o.rows_duplicate,
            len(o.rejected),
            str(run_id),
            o.quarantine_reason,
        )
        for o in result.outcomes
    ]
    if manifest_rows:
        psycopg2.extras.execute_values(
            cur,
            "insert into etl_manifest (object_key, etag, size_bytes, partition_hour, status,"
            " records_total, rows_inserted, rows_duplicate, rows_rejected, run_id, reason)"
            " values %s",
            manifest_rows,
        )


# ---- failed objects: attempts and quarantine ----------------------------------------------


def count_failures(
    cur: cursor,
    result: GroupResult,
    run_id: uuid.UUID,
    max_attempts: int,
    attempt_counted: bool = False,
) -> None:
    """Count each failed object's attempt (etl_object_attempts); one that reached
    `max_attempts` becomes a quarantined outcome, recorded with the others. With
    `attempt_counted` the attempt was counted before loading (begin_attempt): only
    the error is recorded."""
    counted = []
    increment = 0 if attempt_counted else 1
    for failure in result.failed:
        cur.execute(
            "insert into etl_object_attempts as a"
            " (object_key, partition_hour, attempts, last_error, run_id)"
            " values (%s, %s, 1, %s, %s)"
            " on conflict (object_key) do update set attempts = a.attempts + %s,"
            " last_error = excluded.last_error, run_id = excluded.run_id, updated_at = now()"
            " returning attempts",
            (failure.obj.key, failure.obj.partition_hour, failure.error, str(run_id), increment),
        )
        row = cur.fetchone()
        attempts = int(row[0]) if row else 1
        counted.append(ObjectFailure(failure.obj, failure.error, attempts))
        if attempts >= max_attempts:
            outcome = ObjectOutcome(failure.obj)
            outcome.quarantine_reason = clean_text(
                f"failed {attempts} times; last error: {failure.error}", MAX_REASON_CHARS
            )
            result.outcomes.append(outcome)
    result.failed = counted


def begin_attempt(side: connection, obj: RawObject, run_id: uuid.UUID) -> int:
    """Count an attempt on `obj` BEFORE loading it, committed at once on a second
    connection, so a run that dies on the object leaves the count behind (a finished
    load deletes the row in its own commit). Returns the attempts including this one,
    0 when the object is in the manifest already."""
    with side.cursor() as cur:
        cur.execute(
            "insert into etl_object_attempts as a"
            " (object_key, partition_hour, attempts, last_error, run_id)"
            " select %s, %s, 1, %s, %s"
            " where not exists (select 1 from etl_manifest where object_key = %s)"
            " on conflict (object_key) do update set attempts = a.attempts + 1,"
            " last_error = excluded.last_error, run_id = excluded.run_id, updated_at = now()"
            " returning attempts",
            (obj.key, obj.partition_hour, DIED_WHILE_LOADING, str(run_id), obj.key),
        )
        row = cur.fetchone()
    side.commit()
    return int(row[0]) if row else 0


def undo_attempt(side: connection, obj: RawObject) -> None:
    """Take back a begin_attempt for an object another drain held (never loaded here)."""
    with side.cursor() as cur:
        cur.execute(
            "update etl_object_attempts set attempts = attempts - 1 where object_key = %s",
            (obj.key,),
        )
        cur.execute(
            "delete from etl_object_attempts where object_key = %s and attempts <= 0", (obj.key,)
        )
    side.commit()


def quarantine_failed_object(
    conn: connection, obj: RawObject, run_id: uuid.UUID, attempts: int
) -> ObjectOutcome:
    """Record an object that failed `attempts` times as quarantined (one commit)."""
    with conn.cursor() as cur:
        cur.execute("select last_error from etl_object_attempts where object_key = %s", (obj.key,))
        row = cur.fetchone()
        outcome = ObjectOutcome(obj)
        outcome.quarantine_reason = clean_text(
            f"failed {attempts} times; last error: {row[0] if row else DIED_WHILE_LOADING}",
            MAX_REASON_CHARS,
        )
        record_objects(cur, GroupResult(outcomes=[outcome]), run_id)
    conn.commit()
    return outcome
