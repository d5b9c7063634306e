"""PostgreSQL access of the ETL: locks, run rows, manifest, staging COPY and merge.

The only module of the ETL that writes SQL against the fact tables (session and
aggregate rebuilds live in sessions.py / aggregates.py). Every statement that
takes values uses driver parameters; identifiers are fixed.
"""

from __future__ import annotations

import io
import queue
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import botocore.exceptions
import psycopg2
import psycopg2.errors
import psycopg2.extras

from clickstream.etl.raw_store import CorruptObject, RawObject
from clickstream.etl.records import (
    COPY_COLUMNS,
    DEFAULT_WINDOW,
    MAX_REASON_CHARS,
    ParsedEvent,
    ProductFacts,
    RejectedRecord,
    TimeWindow,
    clean_text,
    event_id_of,
    parse_line,
)

# Advisory lock keys (two-int form: a namespace and a key) owned by the ETL.
LOCK_NAMESPACE = 7240
RUN_LOCK = 1  # one scheduled run / backfill at a time; drains share it
FINISH_LOCK = 2  # one session/aggregate rebuild at a time; load groups take it shared
OBJECT_LOCK_NAMESPACE = 7241  # per raw object, so parallel drains never load one twice
RUN_ROW_LOCK_NAMESPACE = 7242  # held by a live run on its etl_runs row
PIPELINE = "raw_events"
MAX_REJECTED_LINE_CHARS = 8000
DEFAULT_MAX_OBJECT_ATTEMPTS = 3
# Rows COPYed at once when an object's rows are loaded one slice at a time to find the
# ones PostgreSQL refuses (see _stage_carefully).
CAREFUL_SLICE_ROWS = 2000
# Errors of a single row's values (class 22 data exceptions, class 23 constraints, and
# limits such as an over-large jsonb): the row is rejected, its object still loads.
ROW_ERRORS: tuple[type[BaseException], ...] = (
    psycopg2.DataError,
    psycopg2.IntegrityError,
    psycopg2.errors.ProgramLimitExceeded,
)
# S3 throttling and outages, and credentials or keys that fail for every object (an IAM
# or KMS change), are the run's problem, not the object's: they fail the run (alarmed)
# and count no attempt against any object, so they never quarantine a whole backlog.
TRANSIENT_S3_CODES = frozenset(
    ("SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout", "Throttling",
     "ThrottlingException", "RequestTimeTooSkewed", "ExpiredToken", "AccessDenied",
     "InvalidAccessKeyId", "SignatureDoesNotMatch", "TokenRefreshRequired")
)  # fmt: skip

STAGE_TABLE_SQL = (
    "create temp table if not exists etl_stage (like fact_events including defaults)"
    " on commit delete rows"
)
COPY_SQL = "copy etl_stage (" + ", ".join(COPY_COLUMNS) + ") from stdin"
# The fast path: rows go straight into fact_events. A row whose event_id is already
# there (a retried batch) fails the COPY with a unique violation; the object is then
# rolled back to its savepoint and loaded again through etl_stage and MERGE_SQL.
DIRECT_COPY_SQL = "copy fact_events (" + ", ".join(COPY_COLUMNS) + ") from stdin"
_INSERT_COLUMNS = ", ".join(COPY_COLUMNS)
# Shared by the merge of staged rows and the upsert of directly copied products, so both
# paths keep the same "latest category and price" rule.
PRODUCT_UPSERT_SQL = """
    on conflict (product_id) do update set
        category = case when excluded.last_seen_at >= dim_product.last_seen_at
            then coalesce(excluded.category, dim_product.category) else dim_product.category end,
        last_price = case when excluded.last_seen_at >= dim_product.last_seen_at
            then coalesce(excluded.last_price, dim_product.last_price)
            else dim_product.last_price end,
        currency = coalesce(excluded.currency, dim_product.currency),
        first_seen_at = least(dim_product.first_seen_at, excluded.first_seen_at),
        last_seen_at = greatest(dim_product.last_seen_at, excluded.last_seen_at)
"""
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
    :product_upsert
)
select source_key, count(*), max(received_at) from ins group by source_key
""".replace(":columns", _INSERT_COLUMNS).replace(":product_upsert", PRODUCT_UPSERT_SQL.strip())
QUEUE_SESSIONS_SQL = (
    "insert into etl_dirty_sessions (session_id) select unnest(%s::uuid[]) on conflict do nothing"
)
QUEUE_DATES_SQL = (
    "insert into etl_dirty_dates (date_day) select unnest(%s::date[]) on conflict do nothing"
)
UPSERT_PRODUCTS_SQL = """
insert into dim_product (product_id, category, last_price, currency, first_seen_at, last_seen_at)
select * from unnest(
    %s::text[], %s::text[], %s::numeric[], %s::text[], %s::timestamptz[], %s::timestamptz[]
)
:product_upsert
""".replace(":product_upsert", PRODUCT_UPSERT_SQL.strip())


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

    def reject(self, line_number: int, line: bytes, reason: str) -> None:
        event_id = event_id_of(line)
        self.rejected.append(
            (
                line_number,
                None if event_id is None else clean_text(event_id, 64),
                clean_text(reason, MAX_REASON_CHARS),
                clean_text(line.decode("utf-8", "replace"), MAX_REJECTED_LINE_CHARS),
            )
        )

    @property
    def rows_duplicate(self) -> int:
        return self.rows_valid - self.rows_inserted


@dataclass(slots=True)
class _ProductSpan:
    first_seen_at: datetime
    last_seen_at: datetime
    # The row MERGE_SQL's product_latest would pick: priced rows first, then the latest.
    rank: tuple[bool, datetime]
    facts: ProductFacts


@dataclass
class Touched:
    """What rows COPYed straight into fact_events touched: the sessions and dates to
    queue, the products to upsert and the newest server time. MERGE_SQL derives the
    same from its RETURNING rows for objects that went through etl_stage."""

    session_ids: set[str] = field(default_factory=set)
    dates: set[date] = field(default_factory=set)
    products: dict[str, _ProductSpan] = field(default_factory=dict)
    newest_received_at: datetime | None = None

    def add(self, parsed: ParsedEvent) -> None:
        self.session_ids.add(parsed.session_id)
        self.dates.add(parsed.event_date)
        received = parsed.received_at
        if received is not None and (
            self.newest_received_at is None or received > self.newest_received_at
        ):
            self.newest_received_at = received
        product = parsed.product
        if product is None or parsed.event_at is None:
            return
        at = parsed.event_at
        rank = (product.price is not None, at)
        span = self.products.get(product.product_id)
        if span is None:
            self.products[product.product_id] = _ProductSpan(at, at, rank, product)
            return
        span.first_seen_at = min(span.first_seen_at, at)
        span.last_seen_at = max(span.last_seen_at, at)
        if rank > span.rank:
            span.rank = rank
            span.facts = product

    def update(self, other: Touched) -> None:
        self.session_ids |= other.session_ids
        self.dates |= other.dates
        if other.newest_received_at is not None and (
            self.newest_received_at is None or other.newest_received_at > self.newest_received_at
        ):
            self.newest_received_at = other.newest_received_at
        for product_id, theirs in other.products.items():
            ours = self.products.get(product_id)
            if ours is None:
                self.products[product_id] = theirs
                continue
            ours.first_seen_at = min(ours.first_seen_at, theirs.first_seen_at)
            ours.last_seen_at = max(ours.last_seen_at, theirs.last_seen_at)
            if theirs.rank > ours.rank:
                ours.rank = theirs.rank
                ours.facts = theirs.facts


@dataclass(frozen=True)
class ObjectFailure:
    """An object whose load raised: rolled back alone; `attempts` counts its failures so
    far (it is quarantined once they reach the limit)."""

    obj: RawObject
    error: str
    attempts: int = 0


@dataclass
class GroupResult:
    outcomes: list[ObjectOutcome] = field(default_factory=list)
    failed: list[ObjectFailure] = field(default_factory=list)
    skipped_claimed: int = 0
    newest_received_at: datetime | None = None
    objects_staged: int = 0

    @property
    def loaded(self) -> list[ObjectOutcome]:
        return [o for o in self.outcomes if o.quarantine_reason is None]

    @property
    def quarantined(self) -> list[ObjectOutcome]:
        return [o for o in self.outcomes if o.quarantine_reason is not None]


class CopyStream:
    """A file-like object psycopg2's COPY reads from, fed by a parser thread.

    The thread reads the object from S3, parses and validates each line and queues
    COPY text in chunks of about CHUNK_CHARS; psycopg2 releases the GIL while it waits
    on the socket, so parsing the next chunk overlaps PostgreSQL inserting the last
    one (one core each). At most QUEUE_CHUNKS chunks wait, so memory stays bounded
    and no object is ever held whole. Use as a context manager: leaving it stops the
    thread even when COPY gave up half way.
    """

    CHUNK_CHARS = 1 << 18
    FIRST_CHUNK_CHARS = 1 << 14
    QUEUE_CHUNKS = 4

    def __init__(
        self,
        lines: Iterator[bytes],
        outcome: ObjectOutcome,
        touched: Touched | None = None,
        window: TimeWindow = DEFAULT_WINDOW,
    ) -> None:
        self.lines = lines
        self.outcome = outcome
        self.touched = touched
        self.window = window
        self.error: BaseException | None = None
        self._chunks: queue.Queue[str | None] = queue.Queue(self.QUEUE_CHUNKS)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._produce, name="etl-parse", daemon=True)
        self._thread.start()

    def __enter__(self) -> CopyStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._done:
            # The end marker was read: the thread has nothing left to do but return.
            # (Polling the empty queue instead cost up to 50 ms per object.)
            self._thread.join()
            return
        while self._thread.is_alive():
            try:
                self._chunks.get(timeout=0.05)
            except queue.Empty:
                pass
        self._thread.join()

    def read(self, size: int = 0) -> str:
        # `size` is ignored: a chunk is whatever the parser queued (about CHUNK_CHARS).
        if self._done:
            return ""
        chunk = self._chunks.get()
        if chunk is None:
            self._done = True
            if self.error is not None:
                raise self.error
            return ""
        return chunk

    readline = read

    def _put(self, item: str | None) -> bool:
        while not self._stop.is_set():
            try:
                self._chunks.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        outcome = self.outcome
        source_key = outcome.obj.key
        touched = self.touched
        window = self.window
        pieces: list[str] = []
        length = 0
        # A small first chunk, so PostgreSQL starts inserting while the rest is parsed
        # instead of waiting for a full chunk at the start of every object.
        limit = self.FIRST_CHUNK_CHARS
        try:
            for line in self.lines:
                outcome.records_total += 1
                try:
                    parsed = parse_line(line, source_key, window)
                except Exception as rejection:
                    outcome.reject(outcome.records_total, line, _rejection_reason(rejection))
                    continue
                outcome.rows_valid += 1
                if touched is not None:
                    touched.add(parsed)
                pieces.append(parsed.copy_line)
                length += len(parsed.copy_line)
                if length >= limit:
                    if not self._put("".join(pieces)):
                        return
                    pieces = []
                    length = 0
                    limit = self.CHUNK_CHARS
            if pieces and not self._put("".join(pieces)):
                return
        except BaseException as error:
            # Remembered so the caller can tell a corrupt object from a database error.
            self.error = error
        finally:
            # Closes the S3 body now even when COPY stopped reading half way.
            close = getattr(self.lines, "close", None)
            if close is not None:
                close()
        self._put(None)


def _rejection_reason(error: Exception) -> str:
    """The reason stored for a line parse_line refused, or for one it failed on in a way
    it did not foresee (a line is rejected alone, never its whole object)."""
    if isinstance(error, RejectedRecord):
        return str(error)
    return f"could not read the line ({type(error).__name__}: {error})"


def claim_object(cur: Any, obj: RawObject) -> bool:
    """Take the object's transaction lock and check it is still unloaded."""
    cur.execute(
        "select pg_try_advisory_xact_lock(%s, hashtext(%s))", (OBJECT_LOCK_NAMESPACE, obj.key)
    )
    if not cur.fetchone()[0]:
        return False
    cur.execute("select 1 from etl_manifest where object_key = %s", (obj.key,))
    return cur.fetchone() is None


def hold_queue_lock(cur: Any) -> None:
    """Taken (shared) by every transaction that queues sessions or dates, before it
    writes anything; the finish step takes it exclusively (sessions.finish). So a
    finish never empties the queues while a load that queued into them, or whose
    events it would miss, is uncommitted: it waits for that load to commit, and a load
    that starts queueing meanwhile waits for the finish and queues afresh."""
    cur.execute("select pg_advisory_xact_lock_shared(%s, %s)", (LOCK_NAMESPACE, FINISH_LOCK))


def load_group(
    conn: Any,
    objects: Iterable[RawObject],
    open_lines: Callable[[RawObject], Iterator[bytes]],
    run_id: uuid.UUID,
    keep_going: Callable[[int], bool],
    window: TimeWindow = DEFAULT_WINDOW,
    max_attempts: int = DEFAULT_MAX_OBJECT_ATTEMPTS,
    attempt_counted: bool = False,
) -> GroupResult:
    """Load and record a group of objects in ONE transaction (see _load_object).

    `keep_going(rows_staged)` is asked before each object; returning False ends the
    group (time budget or group size), and the group commits what it has. An object
    whose load raises (anything but a lost connection or an S3 outage) is rolled back
    alone and its attempt counted in etl_object_attempts; at `max_attempts` it is
    quarantined, so it never blocks the objects behind it.
    """
    result = GroupResult()
    touched = Touched()
    rows_staged = 0
    try:
        with conn.cursor() as cur:
            hold_queue_lock(cur)
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
                try:
                    outcome = _load_object(cur, obj, open_lines, touched, result, window)
                except Exception as error:
                    root = _root_error(error)
                    if _is_transient(root, conn):
                        raise
                    # Anything else is this object's own failure: undo it alone.
                    cur.execute("rollback to savepoint object_copy")
                    result.failed.append(ObjectFailure(obj, _describe_failure(root)))
                    continue
                if outcome.quarantine_reason is None:
                    rows_staged += outcome.rows_valid
                result.outcomes.append(outcome)
            _queue_touched(cur, touched, result)
            _count_failures(cur, result, run_id, max_attempts, attempt_counted)
            _record_objects(cur, result, run_id)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return result


def _root_error(error: BaseException) -> BaseException:
    # A COPY that stopped because the parser thread failed raises a psycopg2 error whose
    # cause is the thread's exception (see _quarantine_or_raise).
    while error.__cause__ is not None and isinstance(error, psycopg2.Error):
        error = error.__cause__
    return error


def _is_transient(error: BaseException, conn: Any) -> bool:
    """A failure of the run's dependencies rather than of the object being loaded."""
    if isinstance(error, psycopg2.Error):
        if conn.closed or isinstance(error, psycopg2.InterfaceError):
            return True
        return isinstance(error, psycopg2.OperationalError) and not isinstance(error, ROW_ERRORS)
    if isinstance(error, botocore.exceptions.ClientError):
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return code in TRANSIENT_S3_CODES or code.startswith("KMS.") or status >= 500
    return isinstance(
        error,
        (
            botocore.exceptions.ConnectionError,
            botocore.exceptions.HTTPClientError,
            botocore.exceptions.NoCredentialsError,
            MemoryError,
        ),
    )


def _describe_failure(error: BaseException) -> str:
    return clean_text(f"{type(error).__name__}: {str(error).strip()}", MAX_REASON_CHARS)


def _load_object(
    cur: Any,
    obj: RawObject,
    open_lines: Callable[[RawObject], Iterator[bytes]],
    touched: Touched,
    result: GroupResult,
    window: TimeWindow = DEFAULT_WINDOW,
) -> ObjectOutcome:
    """COPY one object straight into fact_events; on a duplicate event_id, load it
    through etl_stage instead; on a row PostgreSQL refuses, load it slice by slice to
    reject only that row; on a corrupt gzip, quarantine it. Inside a savepoint, so
    whatever fails leaves no row of the object behind."""
    cur.execute("savepoint object_copy")
    outcome = ObjectOutcome(obj)
    mine = Touched()
    try:
        with CopyStream(open_lines(obj), outcome, mine, window) as stream:
            cur.copy_expert(DIRECT_COPY_SQL, stream)
    except psycopg2.errors.UniqueViolation:
        cur.execute("rollback to savepoint object_copy")
        return _stage_object(cur, obj, open_lines, result, window)
    except ROW_ERRORS as error:
        if stream.error is not None:
            return _quarantine_or_raise(cur, stream, outcome, error)
        cur.execute("rollback to savepoint object_copy")
        return _stage_object(cur, obj, open_lines, result, window, careful=True)
    except psycopg2.Error as error:
        return _quarantine_or_raise(cur, stream, outcome, error)
    cur.execute("release savepoint object_copy")
    outcome.rows_inserted = outcome.rows_valid
    touched.update(mine)
    return outcome


def _stage_object(
    cur: Any,
    obj: RawObject,
    open_lines: Callable[[RawObject], Iterator[bytes]],
    result: GroupResult,
    window: TimeWindow = DEFAULT_WINDOW,
    careful: bool = False,
) -> ObjectOutcome:
    # Still inside the object's savepoint, which the caller rolled back to.
    outcome = ObjectOutcome(obj)
    if careful:
        _stage_carefully(cur, obj, open_lines, outcome, window)
    else:
        try:
            with CopyStream(open_lines(obj), outcome, None, window) as stream:
                cur.copy_expert(COPY_SQL, stream)
        except ROW_ERRORS as error:
            if stream.error is not None:
                return _quarantine_or_raise(cur, stream, outcome, error)
            cur.execute("rollback to savepoint object_copy")
            return _stage_object(cur, obj, open_lines, result, window, careful=True)
        except psycopg2.Error as error:
            return _quarantine_or_raise(cur, stream, outcome, error)
    cur.execute(MERGE_SQL)
    for _source_key, inserted, newest in cur.fetchall():
        outcome.rows_inserted = int(inserted)
        if newest and (result.newest_received_at is None or newest > result.newest_received_at):
            result.newest_received_at = newest
    # Emptied now so the next staged object merges only its own rows.
    cur.execute("truncate etl_stage")
    cur.execute("release savepoint object_copy")
    result.objects_staged += 1
    return outcome


def _stage_carefully(
    cur: Any,
    obj: RawObject,
    open_lines: Callable[[RawObject], Iterator[bytes]],
    outcome: ObjectOutcome,
    window: TimeWindow,
) -> None:
    """The fallback for a row that passed every check in records.py and still made
    PostgreSQL refuse the object's COPY: stage the rows in slices of CAREFUL_SLICE_ROWS,
    and bisect a refused slice under savepoints down to the rows PostgreSQL refuses,
    which are rejected with its message. Memory stays bounded by one slice."""
    pending: list[tuple[int, bytes, str]] = []
    for line in open_lines(obj):
        outcome.records_total += 1
        try:
            parsed = parse_line(line, obj.key, window)
        except Exception as rejection:
            outcome.reject(outcome.records_total, line, _rejection_reason(rejection))
            continue
        outcome.rows_valid += 1
        pending.append((outcome.records_total, line, parsed.copy_line))
        if len(pending) >= CAREFUL_SLICE_ROWS:
            _copy_or_split(cur, pending, outcome)
            pending = []
    if pending:
        _copy_or_split(cur, pending, outcome)


def _copy_or_split(cur: Any, rows: list[tuple[int, bytes, str]], outcome: ObjectOutcome) -> None:
    cur.execute("savepoint object_slice")
    try:
        cur.copy_expert(COPY_SQL, io.StringIO("".join(row[2] for row in rows)))
    except ROW_ERRORS as error:
        cur.execute("rollback to savepoint object_slice")
        cur.execute("release savepoint object_slice")
        if len(rows) == 1:
            message = (getattr(error, "pgerror", None) or str(error)).strip().splitlines()
            outcome.rows_valid -= 1
            outcome.reject(
                rows[0][0], rows[0][1], "PostgreSQL refused the row: " + " ".join(message[:2])
            )
            return
        middle = len(rows) // 2
        _copy_or_split(cur, rows[:middle], outcome)
        _copy_or_split(cur, rows[middle:], outcome)
        return
    cur.execute("release savepoint object_slice")


def _count_failures(
    cur: Any,
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
        attempts = int(cur.fetchone()[0])
        counted.append(ObjectFailure(failure.obj, failure.error, attempts))
        if attempts >= max_attempts:
            outcome = ObjectOutcome(failure.obj)
            outcome.quarantine_reason = clean_text(
                f"failed {attempts} times; last error: {failure.error}", MAX_REASON_CHARS
            )
            result.outcomes.append(outcome)
    result.failed = counted


DIED_WHILE_LOADING = "the run died while loading it (process killed, out of memory or timed out)"


def last_run_died(conn: Any, current: uuid.UUID) -> bool:
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
    return bool(row) and row[0] == "abandoned"


def begin_attempt(side: Any, obj: RawObject, run_id: uuid.UUID) -> int:
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


def undo_attempt(side: Any, obj: RawObject) -> None:
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
    conn: Any, obj: RawObject, run_id: uuid.UUID, attempts: int
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
        _record_objects(cur, GroupResult(outcomes=[outcome]), run_id)
    conn.commit()
    return outcome


def _quarantine_or_raise(
    cur: Any, stream: CopyStream, outcome: ObjectOutcome, error: psycopg2.Error
) -> ObjectOutcome:
    """A COPY failed: a corrupt object is quarantined; a bad line cannot fail it (it is
    rejected before COPY), so anything else is the database's or S3's error to raise."""
    if isinstance(stream.error, CorruptObject):
        cur.execute("rollback to savepoint object_copy")
        outcome.quarantine_reason = f"corrupt gzip: {stream.error}"
        outcome.rows_valid = 0
        outcome.rows_inserted = 0
        outcome.rejected.clear()
        return outcome
    if stream.error is not None:
        raise stream.error from None
    raise error


def _queue_touched(cur: Any, touched: Touched, result: GroupResult) -> None:
    """Queue the sessions and dates of the directly copied rows and upsert their products,
    in the load transaction, exactly as MERGE_SQL does for staged rows."""
    if touched.session_ids:
        cur.execute(QUEUE_SESSIONS_SQL, (sorted(touched.session_ids),))
    if touched.dates:
        cur.execute(QUEUE_DATES_SQL, (sorted(touched.dates),))
    if touched.products:
        spans = [touched.products[key] for key in sorted(touched.products)]
        cur.execute(
            UPSERT_PRODUCTS_SQL,
            (
                [span.facts.product_id for span in spans],
                [span.facts.category for span in spans],
                [span.facts.price for span in spans],
                [span.facts.currency for span in spans],
                [span.first_seen_at for span in spans],
                [span.last_seen_at for span in spans],
            ),
        )
    newest = touched.newest_received_at
    if newest is not None and (
        result.newest_received_at is None or newest > result.newest_received_at
    ):
        result.newest_received_at = newest


def _record_objects(cur: Any, result: GroupResult, run_id: uuid.UUID) -> None:
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
