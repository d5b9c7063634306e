"""Every PostgreSQL advisory lock the ETL, the finish step, the compactor and the
migrator take, with its key, in one place.

Keys use the two-int form (namespace, key) except the migrator's single bigint, which
predates the others and is kept so that a new and an old migrator still exclude each
other. No two uses share a namespace.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from psycopg2.extensions import connection, cursor

# One namespace for the two ETL-wide locks.
LOCK_NAMESPACE = 7240
RUN_LOCK = 1  # one scheduled run / backfill at a time; drains share it
FINISH_LOCK = 2  # one session/aggregate rebuild at a time; load groups take it shared
OBJECT_LOCK_NAMESPACE = 7241  # per raw object, so parallel drains never load one twice
RUN_ROW_LOCK_NAMESPACE = 7242  # held by a live run on its etl_runs row
COMPACT_LOCK_NAMESPACE = 7243  # per partition hour, so two compactors never merge one hour
MIGRATE_LOCK_KEY = 7_240_001  # one migrator at a time (single-bigint form)


def try_run_lock(conn: connection, shared: bool) -> bool:
    """The run lock, held for the session: exclusive for a run or backfill, shared for
    drains (they run beside each other, never beside a run)."""
    function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
    with conn.cursor() as cur:
        cur.execute(f"select {function}(%s, %s)", (LOCK_NAMESPACE, RUN_LOCK))
        row = cur.fetchone()
    conn.commit()
    return bool(row and row[0])


def hold_queue_lock(cur: cursor) -> None:
    """Taken (shared) by every transaction before it queues sessions or dates; the
    finish step takes it exclusively (take_finish_lock). So a finish never empties the
    queues while a load that queued into them is uncommitted: it waits for that load to
    commit, and a load that starts queueing meanwhile waits for the finish and queues
    afresh. Events a load inserted before it queued are simply not seen by a finish
    that ran in between; the load's queue rows, written after, rebuild them again."""
    cur.execute("select pg_advisory_xact_lock_shared(%s, %s)", (LOCK_NAMESPACE, FINISH_LOCK))


def take_finish_lock(cur: cursor) -> None:
    """Exclusive finish lock for the transaction (see hold_queue_lock)."""
    cur.execute("select pg_advisory_xact_lock(%s, %s)", (LOCK_NAMESPACE, FINISH_LOCK))


def try_object_lock(cur: cursor, object_key: str) -> bool:
    """The transaction lock on one raw object (parallel drains skip each other's)."""
    cur.execute(
        "select pg_try_advisory_xact_lock(%s, hashtext(%s))", (OBJECT_LOCK_NAMESPACE, object_key)
    )
    row = cur.fetchone()
    return bool(row and row[0])


def release_session_locks(conn: connection) -> None:
    """Release the run and run-row locks now, before the connection closes: a closed
    connection's backend releases them only when it has exited, which a run started
    right after (the next scheduler firing, a test) could beat and be skipped."""
    try:
        conn.rollback()
        with conn.cursor() as cur:
            cur.execute("select pg_advisory_unlock_all()")
        conn.commit()
    except Exception:  # noqa: S110 - a broken connection's locks go with its backend
        pass


def run_row_key(run_id: uuid.UUID) -> int:
    return int.from_bytes(run_id.bytes[:4], "big", signed=True)


def lock_run_row(cur: cursor, run_id: uuid.UUID) -> None:
    """Held by a live run for its whole session: a free lock means the run is gone."""
    cur.execute("select pg_advisory_lock(%s, %s)", (RUN_ROW_LOCK_NAMESPACE, run_row_key(run_id)))


def try_run_row_lock(cur: cursor, run_id: uuid.UUID) -> bool:
    cur.execute(
        "select pg_try_advisory_lock(%s, %s)", (RUN_ROW_LOCK_NAMESPACE, run_row_key(run_id))
    )
    row = cur.fetchone()
    return bool(row and row[0])


def unlock_run_row(cur: cursor, run_id: uuid.UUID) -> None:
    cur.execute("select pg_advisory_unlock(%s, %s)", (RUN_ROW_LOCK_NAMESPACE, run_row_key(run_id)))


def compact_hour_key(hour: datetime) -> int:
    return int(hour.timestamp() // 3600)


def try_compact_lock(cur: cursor, hour: datetime) -> bool:
    cur.execute(
        "select pg_try_advisory_lock(%s, %s)", (COMPACT_LOCK_NAMESPACE, compact_hour_key(hour))
    )
    row = cur.fetchone()
    return bool(row and row[0])


def unlock_compact(cur: cursor, hour: datetime) -> None:
    cur.execute(
        "select pg_advisory_unlock(%s, %s)", (COMPACT_LOCK_NAMESPACE, compact_hour_key(hour))
    )


def lock_migrations(cur: cursor) -> None:
    cur.execute("select pg_advisory_lock(%s)", (MIGRATE_LOCK_KEY,))


def unlock_migrations(cur: cursor) -> None:
    cur.execute("select pg_advisory_unlock(%s)", (MIGRATE_LOCK_KEY,))
