"""PostgreSQL access of the ETL: locks, run rows, manifest, staging COPY and merge.

The only module of the ETL that writes SQL against the fact tables (session and
aggregate rebuilds live in sessions.py / aggregates.py). Every statement that
takes values uses driver parameters; identifiers are fixed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg2
import psycopg2.extras

from clickstream.etl.raw_store import CorruptObject, RawObject
from clickstream.etl.records import COPY_COLUMNS, RejectedRecord, event_id_of, parse_line

# Advisory lock keys (two-int form: a namespace and a key) owned by the ETL.
LOCK_NAMESPACE = 7240
RUN_LOCK = 1  # one scheduled run / backfill at a time; drains share it
FINISH_LOCK = 2  # one session/aggregate rebuild at a time
OBJECT_LOCK_NAMESPACE = 7241  # per raw object, so parallel drains never load one twice
RUN_ROW_LOCK_NAMESPACE = 7242  # held by a live run on its etl_runs row
PIPELINE = "raw_events"
MAX_REJECTED_LINE_CHARS = 8000

STAGE_TABLE_SQL = (
    "create temp table if not exists etl_stage (like fact_events including defaults)"
    " on commit delete rows"
)
COPY_SQL = "copy etl_stage (" + ", ".join(COPY_COLUMNS) + ") from stdin"
_INSERT_COLUMNS = ", ".join(COPY_COLUMNS)
# Column names come from the fixed COPY_COLUMNS tuple, never from input.
MERGE_SQL = """
with ins as (
    insert into fact_events (:columns)
    select distinct on (event_id) :columns
    from etl_stage
    order by event_id, source_key
    on conflict (event_id) do nothing
    returning source_key, session_id, event_date, event_at, received_at,
        product_id, category, price, currency
),
dirty_sessions as (
    insert into etl_dirty_sessions (session_id)
    select distinct session_id from ins
    on conflict do nothing
),
dirty_dates as (
    insert into etl_dirty_dates (date_day)
    select distinct event_date from ins
    on conflict do nothing
),
product_span as (
    select product_id, min(event_at) as first_seen_at, max(event_at) as last_seen_at
    from ins
    where product_id is not null
    group by product_id
),
product_latest as (
    select distinct on (product_id) product_id, category, price, currency
    from ins
    where product_id is not null
    order by product_id, (price is null), event_at desc
),
products as (
    insert into dim_product
        (product_id, category, last_price, currency, first_seen_at, last_seen_at)
    select s.product_id, l.category, l.price, l.currency, s.first_seen_at, s.last_seen_at
    from product_span as s
    inner join product_latest as l on l.product_id = s.product_id
    on conflict (product_id) do update set
        category = case when excluded.last_seen_at >= dim_product.last_seen_at
            then coalesce(excluded.category, dim_product.category) else dim_product.category end,
        last_price = case when excluded.last_seen_at >= dim_product.last_seen_at
            then coalesce(excluded.last_price, dim_product.last_price)
            else dim_product.last_price end,
        currency = coalesce(excluded.currency, dim_product.currency),
        first_seen_at = least(dim_product.first_seen_at, excluded.first_seen_at),
        last_seen_at = greatest(dim_product.last_seen_at, excluded.last_seen_at)
)
select source_key, count(*), max(received_at) from ins group by source_key
""".replace(":columns", _INSERT_COLUMNS)


class WarehouseUnavailable(RuntimeError):
    """PostgreSQL could not be reached; the message says where and why."""


def connect(dsn: str, application_name: str = "clickstream-etl") -> Any:
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


# ---- locks and run rows -------------------------------------------------------------


def try_run_lock(conn: Any, shared: bool) -> bool:
    function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
    with conn.cursor() as cur:
        cur.execute(f"select {function}(%s, %s)", (LOCK_NAMESPACE, RUN_LOCK))
        acquired = bool(cur.fetchone()[0])
    conn.commit()
    return acquired


def _run_row_key(run_id: uuid.UUID) -> int:
    return int.from_bytes(run_id.bytes[:4], "big", signed=True)


def start_run(conn: Any, run_id: uuid.UUID, trigger: str) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "select pg_advisory_lock(%s, %s)", (RUN_ROW_LOCK_NAMESPACE, _run_row_key(run_id))
        )
        cur.execute(
            "insert into etl_runs (run_id, trigger) values (%s, %s)", (str(run_id), trigger)
        )
    conn.commit()


def abandon_dead_runs(conn: Any, current: uuid.UUID) -> int:
    """Mark 'running' rows whose process is gone (its row lock is free) as abandoned."""
    abandoned = 0
    with conn.cursor() as cur:
        cur.execute(
            "select run_id from etl_runs where status = 'running' and run_id <> %s", (str(current),)
        )
        for (run_id,) in cur.fetchall():
            key = _run_row_key(uuid.UUID(str(run_id)))
            cur.execute("select pg_try_advisory_lock(%s, %s)", (RUN_ROW_LOCK_NAMESPACE, key))
            if cur.fetchone()[0]:
                cur.execute(
                    "update etl_runs set status = 'abandoned', ended_at = now(),"
                    " error = 'the run ended without finishing (process killed or timed out);"
                    " its uncommitted work was rolled back and is retried' where run_id = %s",
                    (str(run_id),),
                )
                cur.execute("select pg_advisory_unlock(%s, %s)", (RUN_ROW_LOCK_NAMESPACE, key))
                abandoned += 1
    conn.commit()
    return abandoned


def record_run(conn: Any, run: dict[str, Any]) -> None:
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


# ---- watermark and manifest ------------------------------------------------------------


def read_watermark(conn: Any) -> datetime | None:
    with conn.cursor() as cur:
        cur.execute("select partition_hour from etl_watermark where pipeline = %s", (PIPELINE,))
        row = cur.fetchone()
    conn.commit()
    return row[0] if row else None


def advance_watermark(conn: Any, hour: datetime) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "insert into etl_watermark (pipeline, partition_hour) values (%s, %s)"
            " on conflict (pipeline) do update set"
            " partition_hour = greatest(etl_watermark.partition_hour, excluded.partition_hour),"
            " updated_at = now()",
            (PIPELINE, hour),
        )
    conn.commit()


def manifest_keys(conn: Any, hours: list[datetime]) -> set[str]:
    with conn.cursor() as cur:
        cur.execute("select object_key from etl_manifest where partition_hour = any(%s)", (hours,))
        keys = {row[0] for row in cur.fetchall()}
    conn.commit()
    return keys


def newest_received_at(conn: Any) -> datetime | None:
    with conn.cursor() as cur:
        cur.execute("select max(received_at) from fact_events")
        row = cur.fetchone()
    conn.commit()
    return row[0] if row else None


# ---- loading ---------------------------------------------------------------------------------


@dataclass
class ObjectOutcome:
    obj: RawObject
    records_total: int = 0
    rows_valid: int = 0
    rows_inserted: int = 0
    rejected: list[tuple[int, str | None, str, str]] = field(default_factory=list)
    quarantine_reason: str | None = None

    @property
    def rows_duplicate(self) -> int:
        return self.rows_valid - self.rows_inserted


@dataclass
class GroupResult:
    outcomes: list[ObjectOutcome] = field(default_factory=list)
    skipped_claimed: int = 0
    newest_received_at: datetime | None = None

    @property
    def loaded(self) -> list[ObjectOutcome]:
        return [o for o in self.outcomes if o.quarantine_reason is None]

    @property
    def quarantined(self) -> list[ObjectOutcome]:
        return [o for o in self.outcomes if o.quarantine_reason is not None]


class CopyStream:
    """A file-like object psycopg2's COPY reads from: parses raw lines as it is read,
    so parsing and COPY overlap and no object is ever held whole in memory."""

    def __init__(self, lines: Iterator[bytes], outcome: ObjectOutcome) -> None:
        self.lines = lines
        self.outcome = outcome
        self.buffer = ""
        self.error: BaseException | None = None
        self.event_dates: set[Any] = set()

    def read(self, size: int = 65536) -> str:
        if self.error is not None:
            raise self.error
        pieces = [self.buffer]
        length = len(self.buffer)
        outcome = self.outcome
        source_key = outcome.obj.key
        try:
            while length < size:
                line = next(self.lines, None)
                if line is None:
                    break
                outcome.records_total += 1
                try:
                    parsed = parse_line(line, source_key)
                except RejectedRecord as rejection:
                    outcome.rejected.append(
                        (
                            outcome.records_total,
                            event_id_of(line),
                            str(rejection)[:2000],
                            line.decode("utf-8", "replace")[:MAX_REJECTED_LINE_CHARS],
                        )
                    )
                    continue
                outcome.rows_valid += 1
                pieces.append(parsed.copy_line)
                length += len(parsed.copy_line)
        except BaseException as error:
            # Remembered so the caller can tell a corrupt object from a database error.
            self.error = error
            raise
        self.buffer = ""
        data = "".join(pieces)
        if len(data) > size:
            self.buffer = data[size:]
            data = data[:size]
        return data

    readline = read


def claim_object(cur: Any, obj: RawObject) -> bool:
    """Take the object's transaction lock and check it is still unloaded."""
    cur.execute(
        "select pg_try_advisory_xact_lock(%s, hashtext(%s))", (OBJECT_LOCK_NAMESPACE, obj.key)
    )
    if not cur.fetchone()[0]:
        return False
    cur.execute("select 1 from etl_manifest where object_key = %s", (obj.key,))
    return cur.fetchone() is None


def load_group(
    conn: Any,
    objects: Iterable[RawObject],
    open_lines: Callable[[RawObject], Iterator[bytes]],
    run_id: uuid.UUID,
    keep_going: Callable[[int], bool],
) -> GroupResult:
    """Stage, merge and record a group of objects in ONE transaction.

    `keep_going(rows_staged)` is asked before each object; returning False ends the
    group (time budget or group size), and the group commits what it has.
    """
    result = GroupResult()
    rows_staged = 0
    try:
        with conn.cursor() as cur:
            cur.execute(STAGE_TABLE_SQL)
            pull = iter(objects)
            # Ask before pulling: an object taken from the iterator counts as handled.
            while keep_going(rows_staged):
                obj = next(pull, None)
                if obj is None:
                    break
                if not claim_object(cur, obj):
                    result.skipped_claimed += 1
                    continue
                outcome = ObjectOutcome(obj)
                stream = CopyStream(open_lines(obj), outcome)
                cur.execute("savepoint object_copy")
                try:
                    cur.copy_expert(COPY_SQL, stream, size=262144)
                except psycopg2.Error:
                    if isinstance(stream.error, CorruptObject):
                        cur.execute("rollback to savepoint object_copy")
                        outcome.quarantine_reason = f"corrupt gzip: {stream.error}"
                        outcome.rows_valid = 0
                        outcome.rejected.clear()
                        result.outcomes.append(outcome)
                        continue
                    if stream.error is not None:
                        raise stream.error from None
                    raise
                cur.execute("release savepoint object_copy")
                rows_staged += outcome.rows_valid
                result.outcomes.append(outcome)
            _merge(cur, result, run_id)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return result


def _merge(cur: Any, result: GroupResult, run_id: uuid.UUID) -> None:
    by_key = {o.obj.key: o for o in result.outcomes}
    cur.execute(MERGE_SQL)
    for source_key, inserted, newest in cur.fetchall():
        by_key[source_key].rows_inserted = int(inserted)
        if newest and (result.newest_received_at is None or newest > result.newest_received_at):
            result.newest_received_at = newest
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
