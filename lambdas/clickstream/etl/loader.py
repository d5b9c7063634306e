"""One ETL run: find unloaded objects, load them in bounded groups, rebuild, record.

Modes:
- run: scheduled; partitions from (watermark - grace) to the current hour; advances
  the watermark when nothing is left behind. Exclusive: a second run exits "skipped".
- backfill: an explicit hour range, whatever the watermark; also re-queues every
  session and date of the range so its sessions and aggregates are recomputed.
- drain: like run but shares the run lock with other drains, so several invocations
  can work through a large backlog in parallel; per-object locks and the manifest
  check inside each load transaction keep any object from loading twice.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg2.extensions import connection

from clickstream.etl import bookkeeping, locks, object_load, raw_store, sessions
from clickstream.etl.duplicate_filter import DuplicateFilter
from clickstream.etl.load_models import ObjectOutcome
from clickstream.etl.raw_store import RawObject
from clickstream.etl.records import DEFAULT_WINDOW, TimeWindow
from clickstream.observability import get_logger

logger = get_logger("etl")

MODES = ("run", "backfill", "drain")
GROUP_MAX_ROWS = 250_000
FINISH_RESERVE_SECONDS = 60.0

# Failures that could not be written to etl_runs because PostgreSQL was unreachable;
# the next run of this process (warm Lambda container, local scheduler) records them.
_unrecorded_failures: list[dict[str, Any]] = []


class EtlRunFailed(RuntimeError):
    """The run failed; `summary` holds what was recorded about it."""

    def __init__(self, message: str, summary: RunSummary) -> None:
        super().__init__(message)
        self.summary = summary


@dataclass
class RunSummary:
    run_id: str
    trigger: str
    mode: str
    status: str = "running"
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended_at: datetime | None = None
    objects_loaded: int = 0
    objects_quarantined: int = 0
    objects_failed: int = 0
    objects_pending: int = 0
    rows_inserted: int = 0
    rows_duplicate: int = 0
    rows_rejected: int = 0
    sessions_rebuilt: int = 0
    newest_event_at: datetime | None = None
    lag_seconds: float | None = None
    error: str | None = None
    quarantined: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    hours_scanned: int = 0

    @property
    def duration_seconds(self) -> float:
        end = self.ended_at or datetime.now(UTC)
        return (end - self.started_at).total_seconds()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        data["duration_seconds"] = round(self.duration_seconds, 3)
        return data


@dataclass(frozen=True)
class RunRequest:
    mode: str = "run"
    trigger: str = "manual"
    first_hour: datetime | None = None
    last_hour: datetime | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.mode == "backfill":
            if self.first_hour is None or self.last_hour is None:
                raise ValueError("backfill needs both a first and a last hour")
            if self.first_hour > self.last_hour:
                raise ValueError("backfill: --from must not be after --to")


@dataclass
class EtlDependencies:
    """What a run talks to; tests pass real moto/PostgreSQL clients or break them."""

    s3: Any
    bucket: str
    connect: Callable[[], connection]
    grace_hours: int
    time_budget_seconds: float
    group_max_rows: int = GROUP_MAX_ROWS
    window: TimeWindow = DEFAULT_WINDOW
    max_object_attempts: int = object_load.DEFAULT_MAX_OBJECT_ATTEMPTS
    now: Callable[[], datetime] = field(default_factory=lambda: lambda: datetime.now(UTC))
    # Where a run started by hand (the CLI) reports how far it got; nowhere by default.
    progress: Callable[[str], None] | None = None


def run_etl(request: RunRequest, deps: EtlDependencies) -> RunSummary:
    summary = RunSummary(run_id=str(uuid.uuid4()), trigger=request.trigger, mode=request.mode)
    deadline = time.monotonic() + deps.time_budget_seconds
    try:
        conn = deps.connect()
    except bookkeeping.WarehouseUnavailable as error:
        _fail(summary, str(error))
        _unrecorded_failures.append(_row(summary))
        raise EtlRunFailed(str(error), summary) from error
    try:
        return _run_with_connection(request, deps, conn, summary, deadline)
    finally:
        locks.release_session_locks(conn)
        conn.close()


def _run_with_connection(
    request: RunRequest,
    deps: EtlDependencies,
    conn: connection,
    summary: RunSummary,
    deadline: float,
) -> RunSummary:
    _record_earlier_failures(conn)
    if not locks.try_run_lock(conn, shared=request.mode == "drain"):
        summary.status = "skipped"
        summary.ended_at = datetime.now(UTC)
        summary.error = "another ETL run holds the lock; this firing did nothing"
        bookkeeping.record_run(conn, _row(summary))
        logger.info("etl run skipped", reason=summary.error, run_id=summary.run_id)
        return summary
    bookkeeping.start_run(conn, uuid.UUID(summary.run_id), request.trigger)
    try:
        abandoned = bookkeeping.abandon_dead_runs(conn, uuid.UUID(summary.run_id))
        if abandoned:
            logger.warning("earlier runs were abandoned", runs=abandoned)
        _load_everything(request, deps, conn, summary, deadline)
    except Exception as error:
        conn.rollback()
        _fail(summary, _describe(error))
        try:
            bookkeeping.record_run(conn, _row(summary))
        except Exception:
            _unrecorded_failures.append(_row(summary))
        logger.exception("etl run failed", run_id=summary.run_id, error=summary.error)
        raise EtlRunFailed(summary.error or "etl run failed", summary) from error
    bookkeeping.record_run(conn, _row(summary))
    logger.info("etl run finished", **_log_fields(summary))
    return summary


def _load_everything(
    request: RunRequest,
    deps: EtlDependencies,
    conn: connection,
    summary: RunSummary,
    deadline: float,
) -> None:
    now = deps.now()
    current_hour = raw_store.floor_hour(now)
    hours = _hours_to_scan(request, deps, conn, current_hour)
    summary.hours_scanned = len(hours)
    pending = _unloaded_objects(deps, conn, hours)
    if deps.progress is not None:
        span = f"{raw_store_hour(hours[0])} .. {raw_store_hour(hours[-1])}" if hours else "none"
        deps.progress(f"{len(hours)} hours ({span}), {len(pending)} objects to load")
    if request.mode == "backfill" and hours:
        # Reprocess the range: recompute its sessions and aggregates whatever was loaded.
        sessions.mark_range_dirty(conn, hours[0].date() - timedelta(days=1), hours[-1].date())
    run_id = uuid.UUID(summary.run_id)
    handled: set[str] = set()

    finish_reserve = min(FINISH_RESERVE_SECONDS, deps.time_budget_seconds / 4)

    def keep_going(rows_staged: int) -> bool:
        if not handled:
            return True  # every run makes progress, however small its budget
        in_time = time.monotonic() < deadline - finish_reserve
        return in_time and rows_staged < deps.group_max_rows

    # After a run that died (killed, out of memory, Lambda timeout), maybe on an object
    # that kills every run loading it: count each attempt before loading (committed on a
    # second connection) and commit object by object, so such an object is quarantined
    # after ETL_MAX_OBJECT_ATTEMPTS deaths while the others load.
    careful = bookkeeping.last_run_died(conn, run_id)
    side = deps.connect() if careful else None
    if careful:
        logger.warning("the last run died: loading object by object, counting attempts")
    # Not in careful mode: there every object commits alone and must not overlap.
    duplicates = DuplicateFilter(deps.connect)
    prefetch = None if careful else object_load.Prefetch(_opener(deps), deps.window, duplicates)
    rebuild = None if careful else sessions.BackgroundRebuild(deps.connect)
    try:
        _load_groups(
            deps, conn, summary, pending, handled, keep_going, run_id, side, prefetch, rebuild
        )
    finally:
        if side is not None:
            side.close()
        if prefetch is not None:
            prefetch.close()
        if rebuild is not None:
            rebuild.close()
            summary.sessions_rebuilt += rebuild.rebuilt
        duplicates.close()
    if duplicates.probes:
        logger.info(
            "stored event ids pre-filtered", probes=duplicates.probes, dropped=duplicates.dropped
        )
    # The watermark may only pass objects recorded in the manifest: one that failed, or
    # that a parallel drain claimed and may still roll back, holds it at its hour.
    recorded = bookkeeping.manifest_keys(conn, sorted({obj.partition_hour for obj in pending}))
    left = [obj for obj in pending if obj.key not in recorded]
    summary.objects_pending = len(left)
    if deps.progress is not None:
        deps.progress("rebuilding sessions and aggregates")
    finished = sessions.finish(conn)
    summary.sessions_rebuilt += finished.sessions_rebuilt
    summary.newest_event_at = bookkeeping.newest_received_at(conn)
    if summary.newest_event_at is not None:
        summary.lag_seconds = round((deps.now() - summary.newest_event_at).total_seconds(), 3)
    if request.mode != "backfill" and not left:
        bookkeeping.advance_watermark(conn, current_hour)
    elif request.mode != "backfill":
        bookkeeping.advance_watermark(conn, min(obj.partition_hour for obj in left))
    summary.status = "partial" if summary.objects_pending else "succeeded"
    summary.ended_at = datetime.now(UTC)


def _load_groups(
    deps: EtlDependencies,
    conn: connection,
    summary: RunSummary,
    pending: list[RawObject],
    handled: set[str],
    keep_going: Callable[[int], bool],
    run_id: uuid.UUID,
    side: connection | None,
    prefetch: object_load.Prefetch | None = None,
    rebuild: sessions.BackgroundRebuild | None = None,
) -> None:
    """Load groups until nothing is left or the budget is spent; with `side` (careful
    mode) one object per group, its attempt counted first on `side`. With `prefetch`
    the next object is fetched and parsed while the current one loads; with `rebuild`
    the sessions of a committed group are rebuilt while the next group loads."""
    while True:
        remaining = [obj for obj in pending if obj.key not in handled]
        if not remaining or not keep_going(0):
            break
        objects: Iterator[RawObject]
        upcoming: Callable[[], RawObject | None] | None = None
        if side is None:
            objects = tracked = _Tracking(remaining, handled)
            upcoming = tracked.peek
        else:
            obj = remaining[0]
            handled.add(obj.key)
            attempts = bookkeeping.begin_attempt(side, obj, run_id)
            if attempts == 0:
                continue  # recorded meanwhile by a parallel drain
            if attempts > deps.max_object_attempts:
                _note_quarantine(
                    summary, bookkeeping.quarantine_failed_object(conn, obj, run_id, attempts - 1)
                )
                continue
            objects = iter([obj])
        group = object_load.load_group(
            conn,
            objects,
            _opener(deps),
            run_id,
            # (careful: one object, already counted as attempted, so always load it)
            keep_going if side is None else (lambda rows: True),
            window=deps.window,
            max_attempts=deps.max_object_attempts,
            attempt_counted=side is not None,
            prefetch=prefetch,
            upcoming=upcoming,
        )
        if rebuild is not None and group.loaded and any(o.key not in handled for o in pending):
            rebuild.kick()
        if side is not None and group.skipped_claimed:
            bookkeeping.undo_attempt(side, obj)
        for outcome in group.loaded:
            summary.objects_loaded += 1
            summary.rows_inserted += outcome.rows_inserted
            summary.rows_duplicate += outcome.rows_duplicate
            summary.rows_rejected += len(outcome.rejected)
        for outcome in group.quarantined:
            _note_quarantine(summary, outcome)
        for failure in group.failed:
            summary.objects_failed += 1
            summary.failed.append(
                {"key": failure.obj.key, "attempts": failure.attempts, "error": failure.error}
            )
            logger.error(
                "object failed to load; retried by the next run",
                key=failure.obj.key,
                attempts=failure.attempts,
                max_attempts=deps.max_object_attempts,
                error=failure.error,
            )
        if deps.progress is not None and (group.outcomes or group.failed):
            deps.progress(
                f"[{min(len(handled), len(pending))}/{len(pending)}] objects:"
                f" {summary.objects_loaded} loaded, {summary.rows_inserted} rows inserted,"
                f" {summary.objects_quarantined} quarantined, {summary.objects_failed} failed"
                " so far"
            )
        if not group.outcomes and not group.failed and group.skipped_claimed == 0:
            break


def raw_store_hour(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H")


def _note_quarantine(summary: RunSummary, outcome: ObjectOutcome) -> None:
    summary.objects_quarantined += 1
    summary.quarantined.append({"key": outcome.obj.key, "reason": outcome.quarantine_reason or ""})
    logger.error("object quarantined", key=outcome.obj.key, reason=outcome.quarantine_reason)


class _Tracking:
    """The objects a group may pull. An object counts as handled by this run once a
    group pulled it (loaded, quarantined, failed, or claimed by a parallel drain), so no
    run tries it twice; whether the watermark may pass it is decided from the manifest
    alone. `peek` shows the next one without handling it (for the prefetch)."""

    def __init__(self, objects: list[RawObject], handled: set[str]) -> None:
        self._objects = objects
        self._next = 0
        self._handled = handled

    def __iter__(self) -> _Tracking:
        return self

    def __next__(self) -> RawObject:
        if self._next >= len(self._objects):
            raise StopIteration
        obj = self._objects[self._next]
        self._next += 1
        self._handled.add(obj.key)
        return obj

    def peek(self) -> RawObject | None:
        return self._objects[self._next] if self._next < len(self._objects) else None


def _opener(deps: EtlDependencies) -> Callable[[RawObject], Iterator[bytes]]:
    def open_lines(obj: RawObject) -> Iterator[bytes]:
        return raw_store.iter_lines(deps.s3, deps.bucket, obj.key)

    return open_lines


def _hours_to_scan(
    request: RunRequest, deps: EtlDependencies, conn: connection, current_hour: datetime
) -> list[datetime]:
    if request.mode == "backfill":
        assert request.first_hour is not None and request.last_hour is not None
        return raw_store.hours_between(request.first_hour, request.last_hour)
    watermark = bookkeeping.read_watermark(conn)
    if watermark is None:
        earliest = raw_store.earliest_partition(deps.s3, deps.bucket)
        if earliest is None:
            return []
        first = earliest
    else:
        first = watermark - timedelta(hours=deps.grace_hours)
    return raw_store.hours_between(first, current_hour)


def _unloaded_objects(
    deps: EtlDependencies, conn: connection, hours: list[datetime]
) -> list[RawObject]:
    if not hours:
        return []
    known = bookkeeping.manifest_keys(conn, hours)
    objects = []
    for hour in hours:
        objects += [
            o for o in raw_store.list_partition(deps.s3, deps.bucket, hour) if o.key not in known
        ]
    return objects


def _record_earlier_failures(conn: connection) -> None:
    while _unrecorded_failures:
        bookkeeping.record_run(conn, _unrecorded_failures[0])
        _unrecorded_failures.pop(0)


def _fail(summary: RunSummary, error: str) -> None:
    summary.status = "failed"
    summary.error = error[:2000]
    summary.ended_at = datetime.now(UTC)


def _describe(error: BaseException) -> str:
    name = type(error).__name__
    module = type(error).__module__
    if module.startswith("botocore") or module.startswith("boto3"):
        return f"S3 unreachable or refused the request ({name}): {error}"
    if module.startswith("psycopg2"):
        return f"PostgreSQL error ({name}): {str(error).strip()}"
    return f"{name}: {error}"


def _row(summary: RunSummary) -> dict[str, Any]:
    row = {
        k: v
        for k, v in asdict(summary).items()
        if k not in ("mode", "quarantined", "failed", "objects_failed", "hours_scanned")
    }
    row["run_id"] = summary.run_id
    return row


def _log_fields(summary: RunSummary) -> dict[str, Any]:
    return {
        "run_id": summary.run_id,
        "status": summary.status,
        "objects_loaded": summary.objects_loaded,
        "objects_quarantined": summary.objects_quarantined,
        "objects_failed": summary.objects_failed,
        "objects_pending": summary.objects_pending,
        "rows_inserted": summary.rows_inserted,
        "rows_duplicate": summary.rows_duplicate,
        "rows_rejected": summary.rows_rejected,
        "sessions_rebuilt": summary.sessions_rebuilt,
        "lag_seconds": summary.lag_seconds,
        "duration_seconds": round(summary.duration_seconds, 3),
    }
