"""Session rebuild: every session a load touched is recomputed from ALL of its events.

So fact_sessions is always what a full rebuild would give, late events included.
Definitions (docs/warehouse.md): a page view is a `view` event without
ecom.product_id or ecom.items (those are product views and list impressions, sent
beside the page's own view); an interaction is
a click, search, add_to_cart, checkout or purchase (engagement events are passive);
a bounce is exactly one page view and no interaction; revenue is the sum of
price x qty over purchase events; duration is the larger of the event time span
and the SDK's summed engaged time, so a one-page session is not 0 seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from psycopg2.extensions import connection, cursor

from clickstream.etl import aggregates, locks, sql_files
from clickstream.observability import get_logger

logger = get_logger("etl")

INTERACTIONS = ("click", "search", "add_to_cart", "checkout", "purchase")

TAKE_DIRTY_SESSIONS_SQL = """
create temp table finish_sessions on commit drop as
with taken as (delete from etl_dirty_sessions returning session_id)
select session_id from taken;
create unique index on finish_sessions (session_id);
analyze finish_sessions;
"""

# The sessions' old dates need a refresh too: a late event can move a session's start.
OLD_SESSION_DATES_SQL = """
insert into etl_dirty_dates (date_day)
select distinct s.session_date
from fact_sessions as s
inner join finish_sessions as f on f.session_id = s.session_id
on conflict do nothing
"""

NEW_SESSION_DATES_SQL = """
insert into etl_dirty_dates (date_day)
select distinct s.session_date
from fact_sessions as s
inner join finish_sessions as f on f.session_id = s.session_id
on conflict do nothing
"""


@dataclass(frozen=True)
class FinishResult:
    sessions_rebuilt: int
    dates_refreshed: int


def _prepare(cur: cursor) -> None:
    cur.execute("set local time zone 'UTC'")
    # These statements group a whole batch of events (session rebuild, count
    # distinct per day): with the 4 MB default every sort spills to disk. JIT
    # compiles for longer than the queries run (fact_events' statistics lag a
    # large load, so the planner overestimates), so it is off for this step.
    cur.execute("set local work_mem = '64MB'")
    # Hash tables may grow to 4 x work_mem: the planner overestimates the groups of
    # the per-session partial aggregates (session x hour, session x product), and with
    # the default 2 x it sorts a million events on disk instead of hashing ~100 k
    # groups (about 40 MB at 1 M events).
    cur.execute("set local hash_mem_multiplier = 4")
    cur.execute("set local jit = off")
    # Exclusive: waits for every load transaction that queued work (they hold it
    # shared, locks.hold_queue_lock) to commit, so none can queue a session
    # this finish then deletes from the queue without seeing its events.
    locks.take_finish_lock(cur)


def _rebuild_queued_sessions(cur: cursor) -> int:
    cur.execute(TAKE_DIRTY_SESSIONS_SQL)
    cur.execute(OLD_SESSION_DATES_SQL)
    cur.execute(sql_files.load("rebuild_sessions"))
    rebuilt = max(cur.rowcount, 0)
    cur.execute(NEW_SESSION_DATES_SQL)
    return rebuilt


def finish(conn: connection) -> FinishResult:
    """Rebuild the queued sessions, then refresh the aggregates of the queued dates.

    One transaction under an advisory lock: the queues are emptied only if the
    rebuild commits, so a crash leaves them for the next run.
    """
    try:
        with conn.cursor() as cur:
            _prepare(cur)
            sessions_rebuilt = _rebuild_queued_sessions(cur)
            dates_refreshed = aggregates.refresh_dirty_dates(cur)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return FinishResult(sessions_rebuilt=sessions_rebuilt, dates_refreshed=dates_refreshed)


def rebuild_queued_sessions(conn: connection) -> int:
    """The session half of finish(), alone: rebuild the sessions queued so far and
    queue their old and new dates, which stay queued for the finish's aggregate refresh
    (refreshing the same dates after every group would repeat that work). Safe while
    loads run: a load takes the finish lock shared only before it writes to the
    queues, so events it copied before are seen by a later rebuild of the session it
    queues after this one commits."""
    try:
        with conn.cursor() as cur:
            _prepare(cur)
            rebuilt = _rebuild_queued_sessions(cur)
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return rebuilt


class BackgroundRebuild:
    """Overlaps the session rebuild with loading: after a group commits, rebuild the
    sessions queued so far on a second connection while the next group loads (one
    rebuild at a time; a kick while one runs is skipped, the next kick or the finish
    takes those sessions). A failure is logged and leaves the queue to the finish."""

    def __init__(self, connect: Callable[[], connection]) -> None:
        self._connect = connect
        self._conn: connection | None = None
        self._thread: threading.Thread | None = None
        self.rebuilt = 0

    def kick(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._run, name="etl-rebuild", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            if self._conn is None or self._conn.closed:
                self._conn = self._connect()
            self.rebuilt += rebuild_queued_sessions(self._conn)
        except Exception:
            logger.exception("background session rebuild failed; the finish step redoes it")

    def close(self) -> None:
        """Wait for a running rebuild (bounded by one group's sessions) and disconnect."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def mark_range_dirty(conn: connection, first_day: date, last_day: date) -> None:
    """Queue every session and date of an event-date range (used by backfill)."""
    with conn.cursor() as cur:
        locks.hold_queue_lock(cur)
        cur.execute(
            "insert into etl_dirty_sessions (session_id) select distinct session_id"
            " from fact_events where event_date between %s and %s on conflict do nothing",
            (first_day, last_day),
        )
        cur.execute(
            "insert into etl_dirty_dates (date_day) select d::date"
            " from generate_series(%s::date, %s::date, interval '1 day') as d"
            " on conflict do nothing",
            (first_day, last_day),
        )
    conn.commit()
