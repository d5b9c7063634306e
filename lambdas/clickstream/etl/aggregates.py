"""Dashboard aggregates: delete and recompute only the rows of the queued dates.

Bots are excluded from every aggregate (agg_traffic_daily.bot_sessions/bot_events count
them apart). Dates are UTC days. Session tables (traffic daily, pages, transitions,
funnel, acquisition) are keyed by the session's start date and carry the session's
device and country; event tables (hourly, product, category funnel, search) are keyed by
the event date and carry the event's own device and country. Key columns never hold
NULL: see the sentinels below and docs/warehouse.md "Dashboard tables".
"""

from __future__ import annotations

from psycopg2.extensions import cursor

from clickstream.etl import sql_files

UNKNOWN = "(unknown)"
NO_CATEGORY = "(none)"
DIRECT = "(direct)"
NO_UTM = "(none)"
EXIT = "(exit)"
SEARCH_TERM_MAX_CHARS = 200
# HyperLogLog parameters of every sketch (log2m, regwidth, expthresh, sparseon): about
# 1.6 % standard error, at most 2.5 kB a sketch, exact (explicit) up to ~320 ids. All
# sketches must share them to be unioned.
HLL_PARAMS = "12, 5, -1, 1"

TAKE_DIRTY_DATES_SQL = """
create temp table finish_dates on commit drop as
with taken as (delete from etl_dirty_dates returning date_day)
select date_day from taken;
"""

# The refresh itself: lambdas/clickstream/sql/refresh_*_aggregates.sql, written with the
# sentinels and HLL parameters above spelled out (tests/unit/test_etl_sql_files.py).
REFRESH_FILES = (
    "refresh_traffic_aggregates",
    "refresh_page_aggregates",
    "refresh_product_aggregates",
)


def refresh_dirty_dates(cur: cursor) -> int:
    """Inside the caller's transaction: take the queued dates and recompute their rows."""
    cur.execute(TAKE_DIRTY_DATES_SQL)
    cur.execute("select count(*) from finish_dates")
    row = cur.fetchone()
    dates = int(row[0]) if row else 0
    if dates:
        cur.execute("\n".join(sql_files.load(name) for name in REFRESH_FILES))
    return dates
