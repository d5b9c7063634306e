"""The faster transformation SQL gives the same rows as the SQL it replaced.

tests/integration/reference_sql/ holds the session rebuild and the aggregate refresh as
they were before the speed work (git 8c91325): straightforward statements that scan
fact_events once per table and count distinct sessions over every event. Given a seeded
data set loaded by the real ETL in two runs (late events included), every aggregate
table and fact_sessions must equal what the reference SQL computes from scratch over
the same events, row for row (rebuilt_at aside: it is the time of the rebuild).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

from clickstream.etl import aggregates, sql_files
from clickstream.simulation.raw import SyntheticShop, write_objects
from tests.integration.conftest import Warehouse

REFERENCE = Path(__file__).parent / "reference_sql"
START = datetime(2026, 11, 20, 9, tzinfo=UTC)
FIRST_RUN = START + timedelta(days=1)
NOW = START + timedelta(days=4)

SESSION_COLUMNS = (
    "session_id, session_date, anonymous_id, user_id, started_at, ended_at, duration_ms,"
    " engaged_ms, event_count, page_views, interaction_count, is_bounce, landing_page,"
    " exit_page, referrer, referrer_host, utm_source, utm_medium, utm_campaign, device_type,"
    " country, has_view, has_add_to_cart, has_checkout, has_purchase, order_count, revenue,"
    " is_bot, has_product_view"
)
AGGREGATES = (
    "agg_traffic_daily",
    "agg_traffic_hourly",
    "agg_funnel_daily",
    "agg_acquisition_daily",
    "agg_page_daily",
    "agg_page_total_daily",
    "agg_page_transition_daily",
    "agg_product_daily",
    "agg_product_total_daily",
    "agg_category_funnel_daily",
    "agg_search_daily",
)
SNAPSHOT_SQL = {
    "fact_sessions": sql.SQL(f"select ({SESSION_COLUMNS})::text from fact_sessions"),
    **{
        table: sql.SQL("select t::text from {} as t").format(sql.Identifier(table))
        for table in AGGREGATES
    },
}


def snapshot(cur: psycopg2.extensions.cursor) -> dict[str, list[str]]:
    """Every row of every table, as text (hll sketches included), sorted."""
    tables = {}
    for table, statement in SNAPSHOT_SQL.items():
        cur.execute(statement)
        tables[table] = sorted(row[0] for row in cur.fetchall())
    return tables


def recompute(cur: psycopg2.extensions.cursor, read_sql: Callable[[str], str]) -> None:
    """From scratch, inside the caller's transaction: every session and every date."""
    cur.execute("set local time zone 'UTC'")
    cur.execute("delete from fact_sessions")
    for table in AGGREGATES:
        cur.execute(sql.SQL("delete from {}").format(sql.Identifier(table)))
    cur.execute(
        "create temp table finish_sessions on commit drop as"
        " select distinct session_id from fact_events;"
        " create unique index on finish_sessions (session_id); analyze finish_sessions;"
    )
    cur.execute(read_sql("rebuild_sessions"))
    cur.execute(
        "create temp table finish_dates on commit drop as"
        " select distinct event_date as date_day from fact_events"
        " union select session_date from fact_sessions"
    )
    cur.execute("\n".join(read_sql(name) for name in aggregates.REFRESH_FILES))


def reference_sql(name: str) -> str:
    return (REFERENCE / f"{name}.sql").read_text(encoding="utf-8")


def test_the_reference_is_the_sql_of_every_file_the_finish_runs() -> None:
    assert {p.stem for p in REFERENCE.glob("*.sql")} == {
        "rebuild_sessions",
        *aggregates.REFRESH_FILES,
    }


@pytest.mark.slow
def test_sessions_and_aggregates_equal_the_reference_sql(
    warehouse_db: Warehouse, raw_bucket, run_etl
):
    # Given three days of seeded shoppers (bots, late events, sessions over midnight)
    # loaded by the real ETL in two runs, so the second one rebuilds sessions and dates
    # the first one had already aggregated
    s3, bucket = raw_bucket
    records = list(
        SyntheticShop(seed=1111, bot_share=0.08, late_share=0.1).events(
            5000, START, timedelta(days=2, hours=14)
        )
    )
    write_objects(s3, bucket, records, events_per_object=250)
    first = run_etl(now=FIRST_RUN)
    second = run_etl(now=NOW)
    assert first.status == second.status == "succeeded"
    assert first.rows_inserted > 0 and second.rows_inserted > 0

    conn = psycopg2.connect(warehouse_db.owner_url)
    try:
        with conn.cursor() as cur:
            loaded = snapshot(cur)
            # When the reference SQL recomputes everything from the same events
            recompute(cur, reference_sql)
            reference = snapshot(cur)
            conn.rollback()
            # (and the new SQL does so too, from scratch)
            recompute(cur, sql_files.load)
            rerun = snapshot(cur)
            conn.rollback()
    finally:
        conn.close()

    # Then every table holds the same rows, and the data set reached every table
    for table in SNAPSHOT_SQL:
        assert reference[table], f"{table} is empty: the data set misses a case"
        assert loaded[table] == reference[table], table
        assert rerun[table] == reference[table], table
    assert len({row[1:11] for row in reference["agg_traffic_daily"]}) >= 3  # dates
