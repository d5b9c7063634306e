"""`clickstream rebuild`: the disaster-recovery drill, one command.

Into an EMPTY database (no loaded events, no manifest): apply the migrations, then
load every raw object of the hour range from the raw bucket, compacted objects
included, a day at a time, each day as a backfill repeated until nothing of it is
pending (a backfill run stops at its time budget). The raw bucket is versioned, so its
current objects are the source of truth: compaction deleted only sources whose events
are in a compacted object, and loading is exactly-once by event_id, so a source that
survived a crashed compaction beside its merged object adds nothing twice. A database
that already holds data is refused: rebuilding on top of it would trust its manifest.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from psycopg2.extensions import connection

from clickstream.etl import bookkeeping, loader, migrations, raw_store
from clickstream.etl.config import EtlSettings
from clickstream.etl.dependencies import build_dependencies

HOURS_PER_STEP = 24
MAX_RUNS_PER_STEP = 1000  # a run always makes progress; this only stops a runaway loop


class RebuildRefused(RuntimeError):
    """The target database is not empty, or the range is invalid."""


def database_is_empty(conn: connection) -> bool:
    with conn.cursor() as cur:
        cur.execute("select to_regclass('public.fact_events'), to_regclass('public.etl_manifest')")
        facts, manifest = cur.fetchone()
        rows = False
        if facts is not None:
            cur.execute("select exists (select 1 from fact_events)")
            rows = rows or bool(cur.fetchone()[0])
        if manifest is not None:
            cur.execute("select exists (select 1 from etl_manifest)")
            rows = rows or bool(cur.fetchone()[0])
    conn.commit()
    return not rows


def rebuild(
    settings: EtlSettings,
    database_url: str,
    first: datetime,
    last: datetime,
    s3: Any = None,
    progress: Callable[[str], None] = lambda _message: None,
) -> dict[str, Any]:
    if first > last:
        raise RebuildRefused("--from must not be after --to")
    conn = bookkeeping.connect(database_url, application_name="clickstream-rebuild")
    try:
        if not database_is_empty(conn):
            raise RebuildRefused(
                "the database already holds events or a load manifest: rebuild only into an"
                " empty database (create a new one, or drop and recreate this one)"
            )
        applied = migrations.migrate_up(conn)
    finally:
        conn.close()
    progress(f"migrated: {len(applied)} migrations applied")
    settings = dataclasses.replace(settings, database_url=database_url, database_url_param=None)
    deps = build_dependencies(settings, s3=s3)
    hours = raw_store.hours_between(first, last)
    steps = [hours[i : i + HOURS_PER_STEP] for i in range(0, len(hours), HOURS_PER_STEP)]
    totals = {"runs": 0, "objects_loaded": 0, "rows_inserted": 0, "rows_duplicate": 0}
    totals |= {"rows_rejected": 0, "objects_quarantined": 0}
    started = time.monotonic()
    for number, step in enumerate(steps, start=1):
        for _attempt in range(MAX_RUNS_PER_STEP):
            summary = loader.run_etl(
                loader.RunRequest(
                    mode="backfill", first_hour=step[0], last_hour=step[-1], trigger="rebuild"
                ),
                deps,
            )
            if summary.status == "skipped":
                raise RebuildRefused(
                    "another ETL run holds the run lock on this database: pause the schedule"
                )
            totals["runs"] += 1
            for key in ("objects_loaded", "rows_inserted", "rows_duplicate", "rows_rejected"):
                totals[key] += getattr(summary, key)
            totals["objects_quarantined"] += summary.objects_quarantined
            if not summary.objects_pending:
                break
        progress(
            f"[{number}/{len(steps)}] {_hour(step[0])} .. {_hour(step[-1])}:"
            f" {totals['objects_loaded']} objects, {totals['rows_inserted']} rows so far"
            f" ({time.monotonic() - started:.0f} s)"
        )
    return {
        "from": _hour(first),
        "to": _hour(last),
        "migrations_applied": len(applied),
        **totals,
    }


def _hour(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H")
