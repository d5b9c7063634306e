"""Loading raw objects into fact_events, one transaction per group of objects.

Per object, inside a savepoint: COPY its rows straight into fact_events (fed by a
CopyStream parser thread); on a duplicate event_id, load it through etl_stage and
merge_staged_events.sql instead; on a row PostgreSQL refuses, load it slice by slice
to reject only that row; on a corrupt gzip, quarantine it. Any other failure of one
object rolls back that object alone; failures of the run's dependencies (a lost
connection, S3 outages, credentials) are raised to fail the run.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterable, Iterator

import botocore.exceptions
import psycopg2
import psycopg2.errors
from psycopg2.extensions import connection, cursor

from clickstream.etl import bookkeeping, locks, sql_files
from clickstream.etl.copy_stream import CopyStream, rejection_reason
from clickstream.etl.duplicate_filter import DuplicateFilter
from clickstream.etl.load_models import GroupResult, ObjectFailure, ObjectOutcome, Touched
from clickstream.etl.raw_store import CorruptObject, RawObject
from clickstream.etl.records import (
    COPY_COLUMNS,
    DEFAULT_WINDOW,
    MAX_REASON_CHARS,
    TimeWindow,
    clean_text,
    parse_line,
)

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
# Column names come from the fixed COPY_COLUMNS tuple, never from input.
COPY_SQL = "copy etl_stage (" + ", ".join(COPY_COLUMNS) + ") from stdin"
# The fast path: rows go straight into fact_events. A row whose event_id is already
# there (a retried batch) fails the COPY with a unique violation; the object is then
# rolled back to its savepoint and loaded again through etl_stage and the merge.
DIRECT_COPY_SQL = "copy fact_events (" + ", ".join(COPY_COLUMNS) + ") from stdin"
QUEUE_SESSIONS_SQL = (
    "insert into etl_dirty_sessions (session_id) select unnest(%s::uuid[]) on conflict do nothing"
)
QUEUE_DATES_SQL = (
    "insert into etl_dirty_dates (date_day) select unnest(%s::date[]) on conflict do nothing"
)


def _opened_in_thread(
    open_lines: Callable[[RawObject], Iterator[bytes]], obj: RawObject
) -> Iterator[bytes]:
    # Opened by the parser thread on its first read, so a failure to open (S3 refuses
    # the read) is the stream's error, met by that object's COPY, as before the prefetch.
    lines = open_lines(obj)
    try:
        yield from lines
    finally:
        close = getattr(lines, "close", None)
        if close is not None:
            close()  # the S3 body, also when the stream stopped half way


class Prefetch:
    """The direct-COPY stream of the next object, started while the current object's
    COPY runs, so fetching, gunzipping and parsing it overlaps PostgreSQL finishing the
    current one. At most one object ahead (memory: one more bounded stream queue). A
    prefetched object that is not loaded next (claimed by a parallel drain, the group
    or the run ended) is dropped: parsing is side-effect free, only the manifest and
    the load transaction count."""

    def __init__(
        self,
        open_lines: Callable[[RawObject], Iterator[bytes]],
        window: TimeWindow = DEFAULT_WINDOW,
        duplicates: DuplicateFilter | None = None,
    ) -> None:
        self.open_lines = open_lines
        self.window = window
        self.duplicates = duplicates
        self._ahead: tuple[RawObject, CopyStream] | None = None

    def _new(self, obj: RawObject) -> CopyStream:
        return CopyStream(
            _opened_in_thread(self.open_lines, obj),
            ObjectOutcome(obj),
            Touched(),
            self.window,
            self.duplicates,
        )

    def stream_for(self, obj: RawObject) -> CopyStream:
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            # Started before the run met its first duplicate: parse it again filtered,
            # rather than fail its COPY and merge it.
            stale = ahead[1].duplicates is None and bool(self.duplicates and self.duplicates.active)
            if ahead[0].key == obj.key and ahead[0].etag == obj.etag and not stale:
                return ahead[1]
            ahead[1].close()
        return self._new(obj)

    def start(self, obj: RawObject | None) -> None:
        if self._ahead is not None or obj is None:
            return
        self._ahead = (obj, self._new(obj))

    def close(self) -> None:
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead[1].close()


def load_group(
    conn: connection,
    objects: Iterable[RawObject],
    open_lines: Callable[[RawObject], Iterator[bytes]],
    run_id: uuid.UUID,
    keep_going: Callable[[int], bool],
    window: TimeWindow = DEFAULT_WINDOW,
    max_attempts: int = DEFAULT_MAX_OBJECT_ATTEMPTS,
    attempt_counted: bool = False,
    prefetch: Prefetch | None = None,
    upcoming: Callable[[], RawObject | None] | None = None,
) -> GroupResult:
    """Load and record a group of objects in ONE transaction (see _load_object).

    With `prefetch` and `upcoming` (the object the next pull would return), the next
    object's stream starts while the current one loads; `prefetch` may outlive the group
    (the caller closes it) so the first object of the next group is prefetched too.

    `keep_going(rows_staged)` is asked before each object; returning False ends the
    group (time budget or group size), and the group commits what it has. An object
    whose load raises (anything but a lost connection or an S3 outage) is rolled back
    alone and its attempt counted in etl_object_attempts; at `max_attempts` it is
    quarantined, so it never blocks the objects behind it.
    """
    result = GroupResult()
    touched = Touched()
    rows_staged = 0
    own_prefetch = prefetch is None
    streams = Prefetch(open_lines, window) if prefetch is None else prefetch
    try:
        with conn.cursor() as cur:
            # The finish lock is taken (shared) only before the first write to the
            # queues (a staged merge, queue_touched), not at the start: so a session
            # rebuild may run while this group copies (loader.SessionRebuilder).
            cur.execute(STAGE_TABLE_SQL)
            pull = iter(objects)
            # Ask before pulling: an object taken from the iterator counts as handled.
            while keep_going(rows_staged):
                obj = next(pull, None)
                if obj is None:
                    break
                if not bookkeeping.claim_object(cur, obj):
                    result.skipped_claimed += 1
                    continue
                stream = streams.stream_for(obj)
                if upcoming is not None:
                    streams.start(upcoming())
                try:
                    outcome = _load_object(
                        cur, obj, open_lines, touched, result, window, stream, streams.duplicates
                    )
                except Exception as error:
                    root = _root_error(error)
                    if is_transient(root, conn):
                        raise
                    # Anything else is this object's own failure: undo it alone.
                    cur.execute("rollback to savepoint object_copy")
                    result.failed.append(ObjectFailure(obj, _describe_failure(root)))
                    continue
                if outcome.quarantine_reason is None:
                    rows_staged += outcome.rows_valid
                result.outcomes.append(outcome)
            locks.hold_queue_lock(cur)
            queue_touched(cur, touched, result)
            bookkeeping.count_failures(cur, result, run_id, max_attempts, attempt_counted)
            bookkeeping.record_objects(cur, result, run_id)
        conn.commit()
    except BaseException:
        conn.rollback()
        streams.close()
        raise
    finally:
        if own_prefetch:
            streams.close()
    return result


def _root_error(error: BaseException) -> BaseException:
    # A COPY that stopped because the parser thread failed raises a psycopg2 error whose
    # cause is the thread's exception (see _quarantine_or_raise).
    while error.__cause__ is not None and isinstance(error, psycopg2.Error):
        error = error.__cause__
    return error


def is_transient(error: BaseException, conn: connection) -> bool:
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
    cur: cursor,
    obj: RawObject,
    open_lines: Callable[[RawObject], Iterator[bytes]],
    touched: Touched,
    result: GroupResult,
    window: TimeWindow,
    stream: CopyStream,
    duplicates: DuplicateFilter | None = None,
) -> ObjectOutcome:
    """COPY one object straight into fact_events (from `stream`, which may have started
    early); on a duplicate event_id, load it through etl_stage instead (and pre-filter
    stored ids from now on); on a row PostgreSQL refuses, load it slice by slice to
    reject only that row; on a corrupt gzip, quarantine it. Inside a savepoint, so
    whatever fails leaves no row of the object behind."""
    cur.execute("savepoint object_copy")
    outcome = stream.outcome
    mine = stream.touched
    assert mine is not None  # a direct-COPY stream always records what it touched
    try:
        with stream:
            cur.copy_expert(DIRECT_COPY_SQL, stream)
    except psycopg2.errors.UniqueViolation:
        cur.execute("rollback to savepoint object_copy")
        if duplicates is not None:
            duplicates.activate()
        return _stage_object(cur, obj, open_lines, result, window)
    except ROW_ERRORS as error:
        if stream.error is not None:
            return _quarantine_or_raise(cur, stream, outcome, error)
        cur.execute("rollback to savepoint object_copy")
        return _stage_object(cur, obj, open_lines, result, window, careful=True)
    except psycopg2.Error as error:
        return _quarantine_or_raise(cur, stream, outcome, error)
    cur.execute("release savepoint object_copy")
    outcome.rows_inserted = outcome.rows_valid - stream.dropped
    touched.update(mine)
    return outcome


def _stage_object(
    cur: cursor,
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
    locks.hold_queue_lock(cur)  # the merge queues sessions and dates
    cur.execute(sql_files.load("merge_staged_events"))
    for _source_key, inserted, newest in cur.fetchall():
        outcome.rows_inserted = int(inserted)
        result.saw_received_at(newest)
    # Emptied now so the next staged object merges only its own rows.
    cur.execute("truncate etl_stage")
    cur.execute("release savepoint object_copy")
    result.objects_staged += 1
    return outcome


def _stage_carefully(
    cur: cursor,
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
            outcome.reject(outcome.records_total, line, rejection_reason(rejection))
            continue
        outcome.rows_valid += 1
        pending.append((outcome.records_total, line, parsed.copy_line))
        if len(pending) >= CAREFUL_SLICE_ROWS:
            _copy_or_split(cur, pending, outcome)
            pending = []
    if pending:
        _copy_or_split(cur, pending, outcome)


def _copy_or_split(cur: cursor, rows: list[tuple[int, bytes, str]], outcome: ObjectOutcome) -> None:
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


def _quarantine_or_raise(
    cur: cursor, stream: CopyStream, outcome: ObjectOutcome, error: psycopg2.Error
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


def queue_touched(cur: cursor, touched: Touched, result: GroupResult) -> None:
    """Queue the sessions and dates of the directly copied rows and upsert their products,
    in the load transaction, exactly as MERGE_SQL does for staged rows."""
    if touched.session_ids:
        cur.execute(QUEUE_SESSIONS_SQL, (sorted(touched.session_ids),))
    if touched.dates:
        cur.execute(QUEUE_DATES_SQL, (sorted(touched.dates),))
    if touched.products:
        spans = [touched.products[key] for key in sorted(touched.products)]
        cur.execute(
            sql_files.load("upsert_touched_products"),
            {
                "product_ids": [span.facts.product_id for span in spans],
                "categories": [span.facts.category for span in spans],
                "prices": [span.facts.price for span in spans],
                "currencies": [span.facts.currency for span in spans],
                "first_seen": [span.first_seen_at for span in spans],
                "last_seen": [span.last_seen_at for span in spans],
            },
        )
    result.saw_received_at(touched.newest_received_at)
